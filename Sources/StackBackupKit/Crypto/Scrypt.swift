internal import COpenSSL

/// scrypt (RFC 7914): turns a passphrase into the key that wraps the master
/// key. Parameters are stored in each key file so they can change.
public enum Scrypt {
    /// Memory ceiling handed to OpenSSL: enough for N=2^20, r=8 (1 GiB), which
    /// covers the default N=2^17 with room to grow.
    static let maxMemory: UInt64 = 2 << 30

    /// Throws `.invalidInput` when N is not a power of two above 1, r or p is
    /// zero, the length is not positive, or the parameters need more than 2 GiB.
    public static func derive(passphrase: [UInt8], salt: [UInt8], n: UInt64, r: UInt64, p: UInt64, length: Int) throws -> SecretBytes {
        guard n > 1, n & (n - 1) == 0, r > 0, p > 0, length > 0 else {
            throw CryptoError(.invalidInput, function: "scrypt",
                              reason: "N=\(n) r=\(r) p=\(p) length=\(length): N must be a power of two above 1, r, p and length positive")
        }
        let (rn, rnOverflow) = r.multipliedReportingOverflow(by: n)
        let (memory, memoryOverflow) = rn.multipliedReportingOverflow(by: 128)
        guard !rnOverflow, !memoryOverflow, memory < maxMemory else {
            throw CryptoError(.invalidInput, function: "scrypt", reason: "N=\(n) r=\(r) needs more than 2 GiB of memory")
        }
        return try passphrase.withUnsafeBytes { pass in
            try salt.withUnsafeBytes { saltBytes in
                try SecretBytes(count: length) { out in
                    let rc = EVP_PBE_scrypt(pass.nonNullBase.assumingMemoryBound(to: CChar.self), pass.count,
                                            saltBytes.nonNullBase.assumingMemoryBound(to: UInt8.self), saltBytes.count,
                                            n, r, p, maxMemory,
                                            out.baseAddress!.assumingMemoryBound(to: UInt8.self), length)
                    try OpenSSLError.check(rc, "EVP_PBE_scrypt")
                }
            }
        }
    }
}
