internal import COpenSSL

/// HKDF (RFC 5869) with SHA-256: derives per-file keys from the master
/// `enc_key` and a file's random salt, and the chunker's gear table.
public enum HKDF {
    /// Extract-and-expand into `length` bytes (1 ... 8160).
    /// Throws `.invalidKey` for an empty key, `.invalidInput` for a bad length.
    public static func sha256(key: SecretBytes, salt: [UInt8], info: [UInt8], length: Int) throws -> SecretBytes {
        guard key.count > 0, key.count <= Int(Int32.max) else {
            throw CryptoError(.invalidKey, function: "HKDF-SHA256", reason: "the input key is empty")
        }
        guard length > 0, length <= 255 * 32 else {
            throw CryptoError(.invalidInput, function: "HKDF-SHA256", reason: "output length \(length) is outside 1...8160")
        }
        guard salt.count <= Int(Int32.max), info.count <= Int(Int32.max) else {
            throw CryptoError(.invalidInput, function: "HKDF-SHA256", reason: "salt or info too long")
        }
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nil) else {
            throw OpenSSLError.error(.library, "EVP_PKEY_CTX_new_id(HKDF)")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        try OpenSSLError.check(EVP_PKEY_derive_init(ctx), "EVP_PKEY_derive_init")
        try OpenSSLError.check(EVP_PKEY_CTX_set_hkdf_md(ctx, Algorithms.sha256), "EVP_PKEY_CTX_set_hkdf_md")
        try key.withUnsafeBytes { k in
            try OpenSSLError.check(EVP_PKEY_CTX_set1_hkdf_key(ctx, k.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(k.count)),
                                   "EVP_PKEY_CTX_set1_hkdf_key")
        }
        // An empty salt means HashLen zero bytes (RFC 5869 §2.2), which is what OpenSSL does when none is set.
        if !salt.isEmpty {
            try OpenSSLError.check(EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, Int32(salt.count)), "EVP_PKEY_CTX_set1_hkdf_salt")
        }
        if !info.isEmpty {
            try OpenSSLError.check(EVP_PKEY_CTX_add1_hkdf_info(ctx, info, Int32(info.count)), "EVP_PKEY_CTX_add1_hkdf_info")
        }
        return try SecretBytes(count: length) { out in
            var outLength = length
            try OpenSSLError.check(EVP_PKEY_derive(ctx, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &outLength),
                                   "EVP_PKEY_derive(HKDF)")
            guard outLength == length else {
                throw CryptoError(.library, function: "EVP_PKEY_derive(HKDF)", reason: "returned \(outLength) bytes, not \(length)")
            }
        }
    }
}
