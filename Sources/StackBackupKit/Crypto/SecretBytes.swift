internal import COpenSSL

/// Key material in its own heap allocation, zeroed with `OPENSSL_cleanse`
/// when the last reference goes away. Immutable after creation, so it is safe
/// to share between threads.
public final class SecretBytes: @unchecked Sendable {
    // Always at least one byte so the pointer is never null, even for empty secrets.
    private let storage: UnsafeMutableRawPointer
    public let count: Int

    /// Copies `bytes`; the caller should drop its own copy soon.
    public init(_ bytes: [UInt8]) {
        count = bytes.count
        storage = .allocate(byteCount: max(count, 1), alignment: 16)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress, count > 0 { storage.copyMemory(from: base, byteCount: count) }
        }
    }

    /// Creates a secret of `count` bytes written by `body` directly into the
    /// zeroing storage, so derived keys never pass through an ordinary array.
    init(count: Int, initializingWith body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        precondition(count >= 0)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
        do {
            try body(UnsafeMutableRawBufferPointer(start: storage, count: count))
        } catch {
            OPENSSL_cleanse(storage, max(count, 1))
            storage.deallocate()
            throw error
        }
        self.storage = storage
        self.count = count
    }

    /// `count` fresh random bytes.
    public static func random(_ count: Int) -> SecretBytes {
        SecretBytes(count: count) { SecureRandom.fill($0) }
    }

    deinit {
        OPENSSL_cleanse(storage, max(count, 1))
        storage.deallocate()
    }

    /// A copy of the secret as an ordinary array (not zeroed on release: use sparingly).
    public var bytes: [UInt8] {
        withUnsafeBytes { [UInt8]($0) }
    }

    /// Read access without copying. The pointer must not escape `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    /// Constant-time comparison (`CRYPTO_memcmp`).
    public func constantTimeEquals(_ other: SecretBytes) -> Bool {
        guard count == other.count else { return false }
        return CRYPTO_memcmp(storage, other.storage, count) == 0
    }
}
