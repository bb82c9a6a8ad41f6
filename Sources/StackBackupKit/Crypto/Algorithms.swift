internal import COpenSSL

/// libcrypto algorithm handles fetched once per process: OpenSSL 3's implicit
/// fetch (`EVP_sha256()` etc.) takes a lock on every use, explicit fetches do not.
enum Algorithms {
    // Fetched once, never freed, immutable: safe to share between threads.
    nonisolated(unsafe) static let sha256: OpaquePointer = {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else {
            preconditionFailure("libcrypto has no SHA256: \(OpenSSLError.drainReason())")
        }
        return md
    }()

    nonisolated(unsafe) static let aes256gcm: OpaquePointer = {
        guard let cipher = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) else {
            preconditionFailure("libcrypto has no AES-256-GCM: \(OpenSSLError.drainReason())")
        }
        return cipher
    }()
}

/// A non-null pointer for C APIs that reject NULL even with a zero length.
let emptyInput: UnsafeRawPointer = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1))

extension UnsafeRawBufferPointer {
    /// `baseAddress`, or a valid dummy pointer for an empty buffer.
    var nonNullBase: UnsafeRawPointer { baseAddress ?? emptyInput }
}

extension ObjectID {
    /// Reads a 32-byte digest as four big-endian words.
    init(digest: UnsafeRawBufferPointer) {
        precondition(digest.count == 32)
        self.init(
            w0: UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            w1: UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            w2: UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            w3: UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
    }

    /// Fills a 32-byte digest buffer by `body` and wraps it as an id.
    static func fromDigest(_ body: (UnsafeMutablePointer<UInt8>) -> Void) -> ObjectID {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            body(buffer.baseAddress!)
            return ObjectID(digest: UnsafeRawBufferPointer(buffer))
        }
    }
}
