/// scrypt parameters of one key file. Passed explicitly: tests use `.testing`,
/// there is no global switch.
public struct KDFParameters: Codable, Sendable, Equatable {
    public var n: UInt64
    public var r: UInt64
    public var p: UInt64

    public init(n: UInt64, r: UInt64, p: UInt64) {
        self.n = n
        self.r = r
        self.p = p
    }

    /// N=2^15, r=8, p=4: the same work as DESIGN's N=2^17, p=1 (the p lanes run
    /// one after another) in a quarter of the memory: 32 MiB instead of 128 MiB,
    /// which was most of a small backup's peak RSS.
    public static let `default` = KDFParameters(n: 1 << 15, r: 8, p: 4)
    /// N=2^10, r=8, p=1: cheap, for tests only.
    public static let testing = KDFParameters(n: 1 << 10, r: 8, p: 1)

    /// Whether these parameters are sane to run: a damaged or hostile key file
    /// must not make us allocate gigabytes or loop for hours.
    public var isAcceptable: Bool {
        n >= 2 && n <= (1 << 22) && n & (n - 1) == 0 && (1...32).contains(r) && (1...16).contains(p)
            && 128 * r * n <= (1 << 30)
    }

    /// Derives the 32-byte key-wrapping key from a passphrase.
    func derive(passphrase: [UInt8], salt: [UInt8]) throws -> SecretBytes {
        try Scrypt.derive(passphrase: passphrase, salt: salt, n: n, r: r, p: p, length: 32)
    }
}
