// Crypto/ owns every use of libcrypto: SHA-256 file names, HMAC-SHA256 blob
// ids, HKDF file keys, scrypt key wrapping, AES-256-GCM sealing, secure random
// bytes and the self-zeroing `SecretBytes`. No other folder imports COpenSSL;
// all libcrypto failures surface as `CryptoError`.

internal import COpenSSL

/// AES-256-GCM with a 12-byte nonce and a 16-byte tag appended to the ciphertext.
///
/// Owns one `EVP_CIPHER_CTX` (freed in `deinit`). NOT thread-safe: give each
/// thread its own instance (creation is cheap). The caller must never reuse a
/// nonce under one key; `nonce(counter:)` builds the counter nonces the
/// repository format uses.
public final class AESGCM {
    public static let tagSize = 16
    public static let nonceSize = 12
    public static let keySize = 32

    private let context: OpaquePointer
    private let key: SecretBytes

    /// Throws `.invalidKey` unless the key is 32 bytes.
    public init(key: SecretBytes) throws {
        guard key.count == AESGCM.keySize else {
            throw CryptoError(.invalidKey, function: "AES-256-GCM", reason: "the key is \(key.count) bytes, not 32")
        }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw OpenSSLError.error(.library, "EVP_CIPHER_CTX_new") }
        do {
            try OpenSSLError.check(EVP_CipherInit_ex(ctx, Algorithms.aes256gcm, nil, nil, nil, 1), "EVP_CipherInit_ex")
            try OpenSSLError.check(COpenSSL_gcmSetIVLength(ctx, Int32(AESGCM.nonceSize)), "EVP_CTRL_GCM_SET_IVLEN")
        } catch {
            EVP_CIPHER_CTX_free(ctx)
            throw error
        }
        self.context = ctx
        self.key = key
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// The repository's counter nonce: 4 zero bytes, then `counter` as 8 big-endian bytes.
    public static func nonce(counter: UInt64) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: nonceSize)
        for i in 0..<8 { nonce[4 + i] = UInt8(truncatingIfNeeded: counter >> UInt64(56 - 8 * i)) }
        return nonce
    }

    // MARK: Seal

    /// Encrypts `plaintext` and appends `ciphertext || tag` to `out`.
    public func seal(_ plaintext: UnsafeRawBufferPointer, nonce: [UInt8], aad: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) throws {
        try checkSizes(nonce: nonce, input: plaintext.count, aad: aad.count, function: "AES-256-GCM seal")
        let start = out.count
        let total = plaintext.count + AESGCM.tagSize
        out.append(contentsOf: repeatElement(0, count: total))
        do {
            try out.withUnsafeMutableBytes { buffer in
                try sealInto(buffer.baseAddress! + start, plaintext, nonce: nonce, aad: aad)
            }
        } catch {
            out.removeSubrange(start...)
            throw error
        }
    }

    public func seal(_ plaintext: [UInt8], nonce: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { p in
            try aad.withUnsafeBytes { a in
                try checkSizes(nonce: nonce, input: p.count, aad: a.count, function: "AES-256-GCM seal")
                let total = p.count + AESGCM.tagSize
                return try [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                    try sealInto(UnsafeMutableRawPointer(buffer.baseAddress!), p, nonce: nonce, aad: a)
                    initialized = total
                }
            }
        }
    }

    /// Writes `plaintext.count + 16` bytes at `destination`.
    private func sealInto(_ destination: UnsafeMutableRawPointer, _ plaintext: UnsafeRawBufferPointer,
                          nonce: [UInt8], aad: UnsafeRawBufferPointer) throws {
        try initialize(nonce: nonce, encrypt: true)
        var outLength: Int32 = 0
        if aad.count > 0 {
            try OpenSSLError.check(EVP_EncryptUpdate(context, nil, &outLength, aad.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(aad.count)),
                                   "EVP_EncryptUpdate(aad)")
        }
        let out = destination.assumingMemoryBound(to: UInt8.self)
        var written = 0
        if plaintext.count > 0 {
            try OpenSSLError.check(EVP_EncryptUpdate(context, out, &outLength, plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(plaintext.count)),
                                   "EVP_EncryptUpdate")
            written = Int(outLength)
        }
        try OpenSSLError.check(EVP_EncryptFinal_ex(context, out + written, &outLength), "EVP_EncryptFinal_ex")
        written += Int(outLength)
        guard written == plaintext.count else {
            throw CryptoError(.library, function: "EVP_EncryptFinal_ex", reason: "wrote \(written) bytes for \(plaintext.count)")
        }
        try OpenSSLError.check(COpenSSL_gcmGetTag(context, out + written, Int32(AESGCM.tagSize)), "EVP_CTRL_GCM_GET_TAG")
    }

    // MARK: Open

    /// Decrypts `ciphertext || tag`. Throws `.authenticationFailed` when the tag
    /// does not verify (tampered data, wrong key, nonce or AAD) or `sealed` is
    /// shorter than a tag; no unauthenticated plaintext is ever returned.
    public func open(_ sealed: UnsafeRawBufferPointer, nonce: [UInt8], aad: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard sealed.count >= AESGCM.tagSize else {
            throw CryptoError(.authenticationFailed, function: "AES-256-GCM open", reason: "sealed data shorter than its tag")
        }
        let length = sealed.count - AESGCM.tagSize
        try checkSizes(nonce: nonce, input: length, aad: aad.count, function: "AES-256-GCM open")
        return try [UInt8](unsafeUninitializedCapacity: max(length, 1)) { buffer, initialized in
            let out = buffer.baseAddress!
            do {
                try initialize(nonce: nonce, encrypt: false)
                var tag = [UInt8](UnsafeRawBufferPointer(rebasing: sealed[length...]))
                try OpenSSLError.check(COpenSSL_gcmSetTag(context, &tag, Int32(AESGCM.tagSize)), "EVP_CTRL_GCM_SET_TAG")
                var outLength: Int32 = 0
                if aad.count > 0 {
                    try OpenSSLError.check(EVP_DecryptUpdate(context, nil, &outLength, aad.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(aad.count)),
                                           "EVP_DecryptUpdate(aad)")
                }
                var written = 0
                if length > 0 {
                    try OpenSSLError.check(EVP_DecryptUpdate(context, out, &outLength, sealed.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(length)),
                                           "EVP_DecryptUpdate")
                    written = Int(outLength)
                }
                guard EVP_DecryptFinal_ex(context, out + written, &outLength) > 0 else {
                    OpenSSLError.clear()
                    throw CryptoError(.authenticationFailed, function: "AES-256-GCM open", reason: "the tag does not verify")
                }
                written += Int(outLength)
                guard written == length else {
                    throw CryptoError(.library, function: "EVP_DecryptFinal_ex", reason: "wrote \(written) bytes for \(length)")
                }
            } catch {
                // Do not leave unauthenticated plaintext lying in freed memory.
                OPENSSL_cleanse(out, max(length, 1))
                initialized = 0
                throw error
            }
            initialized = length
        }
    }

    public func open(_ sealed: [UInt8], nonce: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        try sealed.withUnsafeBytes { s in
            try aad.withUnsafeBytes { a in try open(s, nonce: nonce, aad: a) }
        }
    }

    // MARK: Helpers

    private func checkSizes(nonce: [UInt8], input: Int, aad: Int, function: String) throws {
        guard nonce.count == AESGCM.nonceSize else {
            throw CryptoError(.invalidInput, function: function, reason: "the nonce is \(nonce.count) bytes, not 12")
        }
        // EVP_*Update take int lengths; blobs and documents are far smaller.
        guard input <= Int(Int32.max) - AESGCM.tagSize, aad <= Int(Int32.max) else {
            throw CryptoError(.invalidInput, function: function, reason: "input of \(input) bytes is too large")
        }
    }

    /// Sets key, nonce and direction on the reused context (cipher set once in `init`).
    private func initialize(nonce: [UInt8], encrypt: Bool) throws {
        try key.withUnsafeBytes { k in
            try OpenSSLError.check(EVP_CipherInit_ex(context, nil, nil, k.baseAddress!.assumingMemoryBound(to: UInt8.self), nonce, encrypt ? 1 : 0),
                                   "EVP_CipherInit_ex")
        }
    }
}
