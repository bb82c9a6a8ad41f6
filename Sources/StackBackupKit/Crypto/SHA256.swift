internal import COpenSSL

/// Plain SHA-256: names repository files by their bytes (checkable without a key).
public enum SHA256 {
    public static func hash(_ data: UnsafeRawBufferPointer) -> ObjectID {
        ObjectID.fromDigest { digest in
            var length: UInt32 = 0
            let rc = EVP_Digest(data.nonNullBase, data.count, digest, &length, Algorithms.sha256, nil)
            precondition(rc == 1 && length == 32, "EVP_Digest(SHA256) failed: \(OpenSSLError.drainReason())")
        }
    }

    public static func hash(_ bytes: [UInt8]) -> ObjectID {
        bytes.withUnsafeBytes { hash($0) }
    }
}

/// Streaming SHA-256 over data that arrives in pieces. Owns its `EVP_MD_CTX`
/// (freed in `deinit`); single owner, not shareable between threads.
public struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    public init() {
        guard let ctx = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed: out of memory") }
        let rc = EVP_DigestInit_ex(ctx, Algorithms.sha256, nil)
        precondition(rc == 1, "EVP_DigestInit_ex(SHA256) failed: \(OpenSSLError.drainReason())")
        context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    public mutating func update(_ data: UnsafeRawBufferPointer) {
        guard data.count > 0 else { return }
        let rc = EVP_DigestUpdate(context, data.baseAddress, data.count)
        precondition(rc == 1, "EVP_DigestUpdate failed: \(OpenSSLError.drainReason())")
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public consuming func finalize() -> ObjectID {
        ObjectID.fromDigest { digest in
            var length: UInt32 = 0
            let rc = EVP_DigestFinal_ex(context, digest, &length)
            precondition(rc == 1 && length == 32, "EVP_DigestFinal_ex failed: \(OpenSSLError.drainReason())")
        }
    }
}
