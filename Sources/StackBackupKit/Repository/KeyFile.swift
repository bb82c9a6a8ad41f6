import Foundation

/// A `keys/<random id>` file: the master key sealed with AES-256-GCM under a
/// key derived from a passphrase by scrypt. Any one key file opens the repository.
///
/// A wrong passphrase and a flipped salt, KDF parameter or ciphertext byte all
/// fail the same GCM tag, so the file also carries an unkeyed `checksum`: with
/// it, damage is told from a wrong passphrase before the KDF runs.
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
    /// Hex SHA-256 of the file's bytes with these 64 digits written as `0`s.
    /// Absent in key files written before it existed (they still open).
    public var checksum: String?

    enum CodingKeys: String, CodingKey {
        case kdf, n, r, p, salt, created, host, user, checksum
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
            throw IntegrityError(object: object, problem: "uses the unknown key derivation \"\(kdf.prefix(40))\": the file is damaged, or from a newer stackbackup")
        }
        guard parameters.isAcceptable else {
            throw IntegrityError(object: object, problem: "has out-of-range scrypt parameters N=\(n) r=\(r) p=\(p): the file is damaged")
        }
        guard let saltBytes = Data(base64Encoded: salt), saltBytes.count >= 16,
              let sealed = Data(base64Encoded: masterKey), sealed.count > AESGCM.tagSize else {
            throw IntegrityError(object: object, problem: "has a malformed salt or sealed master key: the file is damaged")
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

    /// The file's bytes, with the checksum filled in.
    func encoded() throws -> [UInt8] {
        var copy = self
        copy.checksum = Self.zeroChecksum
        var bytes = try DocumentJSON.encode(copy)
        guard let range = Self.checksumRange(in: bytes, value: Self.zeroChecksum) else {
            throw RepositoryError(.other, "could not place the checksum in a key file; this is a bug, please report it")
        }
        bytes.replaceSubrange(range, with: Array(SHA256.hash(bytes).hex.utf8))
        return bytes
    }

    static func decode(_ bytes: [UInt8], object: String) throws -> KeyFile {
        do {
            return try DocumentJSON.decode(KeyFile.self, from: bytes)
        } catch {
            throw IntegrityError(object: object, problem: "is not a valid key file (\(Self.decodingReason(error))): the file is damaged")
        }
    }

    /// Whether `bytes`, the file this was decoded from, match its checksum;
    /// nil for a key file written without one.
    func checksumMatches(_ bytes: [UInt8]) -> Bool? {
        guard let checksum else { return nil }
        guard checksum.utf8.count == 64, checksum.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
              let range = Self.checksumRange(in: bytes, value: checksum) else { return false }
        var zeroed = bytes
        zeroed.replaceSubrange(range, with: Array(Self.zeroChecksum.utf8))
        return SHA256.hash(zeroed).hex == checksum
    }

    private static let zeroChecksum = String(repeating: "0", count: 64)

    /// Where the checksum's digits are in the file: the one `"checksum":"<value>"`.
    private static func checksumRange(in bytes: [UInt8], value: String) -> Range<Int>? {
        let needle = Array("\"checksum\":\"\(value)\"".utf8)
        var found: Range<Int>?
        var start = 0
        while start + needle.count <= bytes.count {
            if bytes[start] == needle[0], Array(bytes[start..<(start + needle.count)]) == needle {
                guard found == nil else { return nil }
                found = (start + 12)..<(start + 12 + value.utf8.count)
            }
            start += 1
        }
        return found
    }

    private static func decodingReason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "no \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "bad \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty:
            return "bad \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "malformed JSON"
        }
    }
}
