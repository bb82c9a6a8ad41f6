import Foundation

/// A `keys/<random id>` file: the master key sealed with AES-256-GCM under a
/// key derived from a passphrase by scrypt. Any one key file opens the repository.
public struct KeyFile: Codable, Sendable {
    public var kdf: String
    public var n: UInt64
    public var r: UInt64
    public var p: UInt64
    /// base64 of the 32-byte scrypt salt.
    public var salt: String
    /// base64 of AES-256-GCM(kdf output, nonce 0, aad "stackbackup key v1", master key JSON) || tag.
    public var masterKey: String
    public var created: Date
    public var host: String
    public var user: String

    enum CodingKeys: String, CodingKey {
        case kdf, n, r, p, salt, created, host, user
        case masterKey = "master_key"
    }

    static let aad = Array("stackbackup key v1".utf8)

    public var parameters: KDFParameters { KDFParameters(n: n, r: r, p: p) }

    /// Wraps `master` under `passphrase`.
    static func make(master: MasterKey, passphrase: [UInt8], kdf: KDFParameters, now: Date = Date()) throws -> KeyFile {
        guard kdf.isAcceptable else {
            throw RepositoryError(.invalidArgument, "scrypt parameters N=\(kdf.n) r=\(kdf.r) p=\(kdf.p) are out of range; use N a power of two up to 2^22, r ≤ 32, p ≤ 16")
        }
        let salt = SecureRandom.bytes(32)
        let wrapping = try kdf.derive(passphrase: passphrase, salt: salt)
        var plaintext = try master.encoded()
        defer { for i in plaintext.indices { plaintext[i] = 0 } }
        let sealed = try AESGCM(key: wrapping).seal(plaintext, nonce: AESGCM.nonce(counter: 0), aad: aad)
        return KeyFile(kdf: "scrypt", n: kdf.n, r: kdf.r, p: kdf.p, salt: Data(salt).base64EncodedString(),
                       masterKey: Data(sealed).base64EncodedString(), created: now,
                       host: HostInfo.hostname, user: HostInfo.username)
    }

    /// Opens the master key; nil when the passphrase does not fit this key.
    /// A malformed key file throws `IntegrityError`.
    func unwrap(passphrase: [UInt8], object: String) throws -> MasterKey? {
        guard kdf == "scrypt" else {
            throw IntegrityError(object: object, problem: "uses the unknown key derivation \"\(kdf.prefix(40))\"")
        }
        guard parameters.isAcceptable else {
            throw IntegrityError(object: object, problem: "has out-of-range scrypt parameters N=\(n) r=\(r) p=\(p)")
        }
        guard let saltBytes = Data(base64Encoded: salt), saltBytes.count >= 16,
              let sealed = Data(base64Encoded: masterKey), sealed.count > AESGCM.tagSize else {
            throw IntegrityError(object: object, problem: "has a malformed salt or sealed master key")
        }
        let wrapping = try parameters.derive(passphrase: passphrase, salt: [UInt8](saltBytes))
        var plaintext: [UInt8]
        do {
            plaintext = try AESGCM(key: wrapping).open([UInt8](sealed), nonce: AESGCM.nonce(counter: 0), aad: Self.aad)
        } catch let error as CryptoError where error.code == .authenticationFailed {
            return nil
        }
        defer { for i in plaintext.indices { plaintext[i] = 0 } }
        return try MasterKey.decode(plaintext, object: object)
    }

    func encoded() throws -> [UInt8] { try DocumentJSON.encode(self) }

    static func decode(_ bytes: [UInt8], object: String) throws -> KeyFile {
        do {
            return try DocumentJSON.decode(KeyFile.self, from: bytes)
        } catch {
            throw IntegrityError(object: object, problem: "is not a valid key file")
        }
    }
}
