/// The SBKF format of index segments, snapshots and locks:
///
///     "SBKF" | version 1 | flags | salt(32)        38 bytes, also the AAD
///     AES-256-GCM(fileKey, nonce 0, u32le plaintext length || zstd(JSON)) || tag
///
/// flags bit 0: the body is zstd-compressed (always set by this version).
/// flags bit 1: a plaintext trailer follows the sealed part:
///     trailer bytes | u32le trailer length | "SBKL"
/// Index segments put their pack list there, so `verify --files-only` can
/// find a missing pack without the key. The flag sits in the AAD: with the
/// key, a trailer cannot be added or removed unnoticed.
/// The file key is HKDF-SHA256(enc_key, salt, "stackbackup v1 <kind>").
public enum SealedFile {
    public static let magic: [UInt8] = Array("SBKF".utf8)
    public static let version: UInt8 = 1
    public static let headerSize = 38
    public static let flagCompressed: UInt8 = 1
    public static let flagTrailer: UInt8 = 2
    static let trailerMagic: [UInt8] = Array("SBKL".utf8)
    /// Largest document accepted on read (an index written by prune of a huge repository stays far below).
    static let maxPlaintext = 1 << 31

    /// Seals `plaintext` as a file of `kind`.
    static func seal(_ plaintext: [UInt8], kind: FileKind, key: MasterKey, trailer: [UInt8]? = nil) throws -> [UInt8] {
        guard plaintext.count < maxPlaintext else {
            throw RepositoryError(.invalidArgument, "a \(kind.rawValue) document of \(plaintext.count) bytes is too large to store")
        }
        let salt = SecureRandom.bytes(32)
        var header = magic
        header.append(version)
        header.append(trailer == nil ? flagCompressed : flagCompressed | flagTrailer)
        header += salt
        var body = [UInt8]()
        body.appendLE(UInt32(plaintext.count))
        body += try ZstdCompressor(level: 3).compress(plaintext)
        let aead = try AESGCM(key: key.fileKey(salt: salt, kind: kind))
        var file = header + (try aead.seal(body, nonce: AESGCM.nonce(counter: 0), aad: header))
        if let trailer {
            file += trailer
            file.appendLE(UInt32(trailer.count))
            file += trailerMagic
        }
        return file
    }

    /// The plaintext trailer of a sealed file, read without the key; nil when
    /// the file has none. Throws `IntegrityError` when the framing is broken.
    static func trailer(of bytes: [UInt8], object: String) throws -> [UInt8]? {
        guard bytes.count >= headerSize, Array(bytes[0..<4]) == magic, bytes[5] & flagTrailer != 0 else { return nil }
        guard bytes.count >= headerSize + 8, Array(bytes[(bytes.count - 4)...]) == trailerMagic else {
            throw IntegrityError(object: object, problem: "announces a pack list but does not end with one")
        }
        let length = Int(UInt32(littleEndian: bytes, at: bytes.count - 8))
        guard length <= bytes.count - headerSize - 8 else {
            throw IntegrityError(object: object, problem: "has a pack list longer than the file")
        }
        return Array(bytes[(bytes.count - 8 - length)..<(bytes.count - 8)])
    }

    /// Opens a sealed file; any damage (bad magic, failed tag, bad length,
    /// undecompressable body) throws `IntegrityError` naming `object`.
    static func open(_ bytes: [UInt8], kind: FileKind, key: MasterKey, object: String) throws -> [UInt8] {
        guard bytes.count >= headerSize + AESGCM.tagSize + 4 else {
            throw IntegrityError(object: object, problem: "is truncated (\(bytes.count) bytes)")
        }
        guard Array(bytes[0..<4]) == magic else {
            throw IntegrityError(object: object, problem: "does not start with the SBKF magic")
        }
        guard bytes[4] == version else {
            throw RepositoryError(.unsupportedVersion, "\(object) has document version \(bytes[4]); this stackbackup reads version \(version), use a matching release")
        }
        let flags = bytes[5]
        var bytes = bytes
        if flags & flagTrailer != 0, let trailer = try trailer(of: bytes, object: object) {
            bytes.removeLast(trailer.count + 8)
        }
        let header = Array(bytes[0..<headerSize])
        let salt = Array(bytes[6..<headerSize])
        let body: [UInt8]
        do {
            let aead = try AESGCM(key: key.fileKey(salt: salt, kind: kind))
            body = try bytes.withUnsafeBytes { raw in
                try header.withUnsafeBytes { aad in
                    try aead.open(UnsafeRawBufferPointer(rebasing: raw[headerSize...]), nonce: AESGCM.nonce(counter: 0), aad: aad)
                }
            }
        } catch let error as CryptoError where error.code == .authenticationFailed {
            throw IntegrityError(object: object, problem: "fails authentication (damaged, or written with another key)")
        }
        guard body.count >= 4 else { throw IntegrityError(object: object, problem: "has an empty body") }
        let length = Int(UInt32(littleEndian: body, at: 0))
        let payload = Array(body[4...])
        if flags & flagCompressed == 0 {
            guard payload.count == length else {
                throw IntegrityError(object: object, problem: "says \(length) bytes but holds \(payload.count)")
            }
            return payload
        }
        do {
            let plain = try ZstdDecompressor().decompress(payload, expectedSize: length)
            guard plain.count == length else {
                throw IntegrityError(object: object, problem: "decompresses to \(plain.count) bytes, not the recorded \(length)")
            }
            return plain
        } catch let error as IntegrityError {
            throw error
        } catch {
            throw IntegrityError(object: object, problem: "does not decompress (\(error))")
        }
    }
}
