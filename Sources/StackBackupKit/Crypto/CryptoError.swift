internal import COpenSSL

/// A cryptographic operation failed. `authenticationFailed` means the data
/// or its key is wrong (a wrong passphrase, a tampered or damaged object);
/// the other codes mean a caller or library problem.
public struct CryptoError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// A GCM tag did not verify: the data was modified or the key is wrong.
        case authenticationFailed
        /// A key of the wrong length or otherwise unusable.
        case invalidKey
        /// An argument out of range (nonce length, sizes, KDF parameters).
        case invalidInput
        /// libcrypto itself reported a failure.
        case library
    }

    public let code: Code
    /// The libcrypto function (or wrapper operation) that failed.
    public let function: String
    /// libcrypto's reason string, or our own explanation.
    public let reason: String

    public init(_ code: Code, function: String, reason: String) {
        self.code = code
        self.function = function
        self.reason = reason
    }

    public var description: String {
        switch code {
        case .authenticationFailed:
            return "decryption failed in \(function): the data was modified or the key is wrong; check the passphrase, or run `stackbackup verify --read-data` to find damaged files"
        case .invalidKey:
            return "invalid key for \(function): \(reason)"
        case .invalidInput:
            return "invalid input to \(function): \(reason)"
        case .library:
            return "libcrypto failed in \(function): \(reason); check the OpenSSL installation"
        }
    }
}

/// Turns libcrypto return codes into `CryptoError`s, draining OpenSSL's
/// thread-local error queue so a later failure does not report a stale reason.
enum OpenSSLError {
    /// Throws `.library` unless `rc` is positive (libcrypto's success convention).
    static func check(_ rc: Int32, _ function: String) throws {
        guard rc > 0 else { throw error(.library, function) }
    }

    /// An error carrying the oldest queued OpenSSL reason; clears the queue.
    static func error(_ code: CryptoError.Code, _ function: String) -> CryptoError {
        CryptoError(code, function: function, reason: drainReason())
    }

    static func drainReason() -> String {
        let first = ERR_get_error()
        ERR_clear_error()
        guard first != 0 else { return "no reason given" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(first, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Discards queued errors after an expected failure (e.g. a tag mismatch).
    static func clear() { ERR_clear_error() }
}
