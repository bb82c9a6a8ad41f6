/// The 256 random 64-bit values of FastCDC's gear hash, derived from the
/// repository's secret chunker seed so cut points reveal nothing about content
/// to someone holding the repository without the key.
public struct GearTable: Sendable {
    public static let info = Array("stackbackup v1 gear".utf8)

    let words: ContiguousArray<UInt64>

    /// `HKDF-SHA256(seed, salt: empty, info: "stackbackup v1 gear")` read as 256
    /// little-endian words. Throws `CryptoError(.invalidKey)` unless the seed is 32 bytes.
    public init(seed: SecretBytes) throws {
        guard seed.count == 32 else {
            throw CryptoError(.invalidKey, function: "GearTable", reason: "the chunker seed is \(seed.count) bytes, not 32")
        }
        let material = try HKDF.sha256(key: seed, salt: [], info: GearTable.info, length: 256 * 8)
        words = material.withUnsafeBytes { raw in
            ContiguousArray((0..<256).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) })
        }
    }
}
