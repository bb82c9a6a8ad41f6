internal import COpenSSL

/// Keyed HMAC-SHA256: blob ids are `HMACSHA256(idKey).authenticate(plaintext)`,
/// so ids reveal nothing about content to someone without the key.
/// Immutable; safe to share between threads.
public struct HMACSHA256: Sendable {
    public let key: SecretBytes

    public init(key: SecretBytes) {
        self.key = key
    }

    public func authenticate(_ data: UnsafeRawBufferPointer) -> ObjectID {
        key.withUnsafeBytes { keyBytes in
            ObjectID.fromDigest { digest in
                var length: UInt32 = 0
                let result = HMAC(Algorithms.sha256, keyBytes.nonNullBase, Int32(keyBytes.count),
                                  data.nonNullBase.assumingMemoryBound(to: UInt8.self), data.count, digest, &length)
                precondition(result != nil && length == 32, "HMAC(SHA256) failed: \(OpenSSLError.drainReason())")
            }
        }
    }

    public func authenticate(_ bytes: [UInt8]) -> ObjectID {
        bytes.withUnsafeBytes { authenticate($0) }
    }
}
