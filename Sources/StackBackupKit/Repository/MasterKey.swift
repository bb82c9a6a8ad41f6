import Foundation

/// The repository's secrets: `encKey` derives every file key, `idKey` keys the
/// blob ids, `chunkerSeed` derives the gear table. Immutable and shareable
/// between threads; the bytes are zeroed when the last reference goes.
public final class MasterKey: Sendable {
    public let encKey: SecretBytes
    public let idKey: SecretBytes
    public let chunkerSeed: SecretBytes

    public init(encKey: SecretBytes, idKey: SecretBytes, chunkerSeed: SecretBytes) {
        self.encKey = encKey
        self.idKey = idKey
        self.chunkerSeed = chunkerSeed
    }

    /// Fresh random key material.
    public static func random() -> MasterKey {
        MasterKey(encKey: SecretBytes(SecureRandom.bytes(32)), idKey: SecretBytes(SecureRandom.bytes(32)),
                  chunkerSeed: SecretBytes(SecureRandom.bytes(32)))
    }

    private struct Document: Codable {
        var encKey: String
        var idKey: String
        var chunkerSeed: String

        enum CodingKeys: String, CodingKey {
            case encKey = "enc_key", idKey = "id_key", chunkerSeed = "chunker_seed"
        }
    }

    /// The JSON that a key file seals (base64 fields).
    func encoded() throws -> [UInt8] {
        let document = Document(encKey: Data(encKey.bytes).base64EncodedString(),
                                idKey: Data(idKey.bytes).base64EncodedString(),
                                chunkerSeed: Data(chunkerSeed.bytes).base64EncodedString())
        return try DocumentJSON.encode(document)
    }

    static func decode(_ bytes: [UInt8], object: String) throws -> MasterKey {
        guard let document = try? DocumentJSON.decode(Document.self, from: bytes),
              let enc = Data(base64Encoded: document.encKey), enc.count == 32,
              let id = Data(base64Encoded: document.idKey), id.count == 32,
              let seed = Data(base64Encoded: document.chunkerSeed), seed.count == 32 else {
            throw IntegrityError(object: object, problem: "holds a master key document that does not decode")
        }
        return MasterKey(encKey: SecretBytes([UInt8](enc)), idKey: SecretBytes([UInt8](id)), chunkerSeed: SecretBytes([UInt8](seed)))
    }

    /// The key of one encrypted file: HKDF-SHA256(enc_key, salt, "stackbackup v1 <kind>").
    func fileKey(salt: [UInt8], kind: FileKind) throws -> SecretBytes {
        try HKDF.sha256(key: encKey, salt: salt, info: Array(kind.keyLabel.utf8), length: 32)
    }
}
