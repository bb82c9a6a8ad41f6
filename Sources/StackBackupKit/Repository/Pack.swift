/// The SBKP pack format:
///
///     "SBKP" | version 1 | 0 0 0 | salt(32)                         40 bytes
///     blob i: AES-256-GCM(packKey, nonce i, payload) || tag     AAD = id(32) | type | flags
///     header: AES-256-GCM(packKey, nonce n, entries) || tag     AAD = the first 40 bytes
///             entries = u32le count, then per blob:
///             type u8 | flags u8 | raw len u32le | stored len u32le | id(32)
///     u32le sealed header length | "SBKE"
///
/// Every decoder here checks lengths against the file size before it
/// allocates or slices, so a damaged pack gives an `IntegrityError`.
public enum Pack {
    public static let magic: [UInt8] = Array("SBKP".utf8)
    public static let endMagic: [UInt8] = Array("SBKE".utf8)
    public static let version: UInt8 = 1
    public static let prefixSize = 40
    public static let trailerSize = 8
    public static let entrySize = 42
    /// flags bit 0: the payload is zstd-compressed.
    public static let flagCompressed: UInt8 = 1

    /// One blob as the pack header describes it.
    public struct Entry: Sendable, Equatable {
        public var type: BlobType
        public var flags: UInt8
        public var rawLength: UInt32
        public var storedLength: UInt32
        public var id: ObjectID
        /// Byte offset of the sealed blob in the pack (derived, not stored).
        public var offset: Int
        /// Index in the pack, which is also the nonce counter.
        public var position: Int
    }

    public struct Header: Sendable {
        public var salt: [UInt8]
        public var entries: [Entry]
    }

    /// The AAD that binds a sealed blob to its id, type and flags.
    static func blobAAD(id: ObjectID, type: BlobType, flags: UInt8) -> [UInt8] {
        var aad = id.bytes
        aad.append(type.rawValue)
        aad.append(flags)
        return aad
    }

    static func encodeEntries(_ entries: [Entry]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(4 + entries.count * entrySize)
        out.appendLE(UInt32(entries.count))
        for e in entries {
            out.append(e.type.rawValue)
            out.append(e.flags)
            out.appendLE(e.rawLength)
            out.appendLE(e.storedLength)
            out += e.id.bytes
        }
        return out
    }

    static func decodeEntries(_ plaintext: [UInt8], object: String) throws -> [Entry] {
        var reader = ByteReader(plaintext, object: object)
        let count = Int(try reader.u32())
        // The count is checked against the bytes present before anything is allocated.
        guard reader.remaining == count * entrySize else {
            throw IntegrityError(object: object, problem: "header says \(count) blobs but holds \(reader.remaining) entry bytes")
        }
        var entries = [Entry]()
        entries.reserveCapacity(count)
        var offset = prefixSize
        for position in 0..<count {
            let rawType = try reader.u8()
            guard let type = BlobType(rawValue: rawType) else {
                throw IntegrityError(object: object, problem: "header entry \(position) has unknown blob type \(rawType)")
            }
            let flags = try reader.u8()
            guard flags & ~flagCompressed == 0 else {
                throw IntegrityError(object: object, problem: "header entry \(position) has unknown flags \(flags)")
            }
            let raw = try reader.u32()
            let stored = try reader.u32()
            guard stored >= UInt32(AESGCM.tagSize), let id = ObjectID(bytes: try reader.take(32)) else {
                throw IntegrityError(object: object, problem: "header entry \(position) has stored length \(stored), shorter than a tag")
            }
            entries.append(Entry(type: type, flags: flags, rawLength: raw, storedLength: stored, id: id, offset: offset, position: position))
            offset += Int(stored)
        }
        return entries
    }

    /// The sealed header length from the 8-byte trailer, checked against the file size.
    static func sealedHeaderLength(trailer: [UInt8], fileSize: Int, object: String) throws -> Int {
        guard fileSize >= prefixSize + AESGCM.tagSize + 4 + trailerSize else {
            throw IntegrityError(object: object, problem: "is truncated (\(fileSize) bytes)")
        }
        guard trailer.count == trailerSize, Array(trailer[4..<8]) == endMagic else {
            throw IntegrityError(object: object, problem: "does not end with the SBKE magic (truncated?)")
        }
        let length = Int(UInt32(littleEndian: trailer, at: 0))
        guard length >= AESGCM.tagSize + 4, length <= fileSize - prefixSize - trailerSize else {
            throw IntegrityError(object: object, problem: "has a header length \(length) that does not fit its size \(fileSize)")
        }
        return length
    }

    /// Decodes the header from its three parts, checking that the blob sizes add up to the file size.
    static func decodeHeader(prefix: [UInt8], sealedHeader: [UInt8], fileSize: Int, key: MasterKey, object: String) throws -> Header {
        guard prefix.count == prefixSize, Array(prefix[0..<4]) == magic else {
            throw IntegrityError(object: object, problem: "does not start with the SBKP magic")
        }
        guard prefix[4] == version else {
            throw IntegrityError(object: object, problem: "has unknown pack version \(prefix[4])")
        }
        let salt = Array(prefix[8..<40])
        let plaintext: [UInt8]
        do {
            let aead = try AESGCM(key: key.fileKey(salt: salt, kind: .pack))
            // The header is the last object sealed; its nonce is only known once
            // decoded, so the count is recovered from the sealed length.
            let count = (sealedHeader.count - AESGCM.tagSize - 4) / entrySize
            plaintext = try aead.open(sealedHeader, nonce: AESGCM.nonce(counter: UInt64(count)), aad: prefix)
        } catch let error as CryptoError where error.code == .authenticationFailed {
            throw IntegrityError(object: object, problem: "has a pack header that fails authentication")
        }
        let entries = try decodeEntries(plaintext, object: object)
        let end = entries.last.map { $0.offset + Int($0.storedLength) } ?? prefixSize
        guard end + sealedHeader.count + trailerSize == fileSize else {
            throw IntegrityError(object: object, problem: "has blobs adding up to \(end + sealedHeader.count + trailerSize) bytes, but the file has \(fileSize)")
        }
        return Header(salt: salt, entries: entries)
    }

    /// Decodes the header of a pack held in memory.
    public static func readHeader(of bytes: [UInt8], key: MasterKey, object: String) throws -> Header {
        let trailer = bytes.count >= trailerSize ? Array(bytes[(bytes.count - trailerSize)...]) : []
        let length = try sealedHeaderLength(trailer: trailer, fileSize: bytes.count, object: object)
        let start = bytes.count - trailerSize - length
        return try decodeHeader(prefix: Array(bytes[0..<prefixSize]), sealedHeader: Array(bytes[start..<(start + length)]),
                                fileSize: bytes.count, key: key, object: object)
    }

    /// Decodes the header of a stored pack with three small ranged reads.
    public static func readHeader(backend: Backend, id: ObjectID, size: Int, key: MasterKey) throws -> Header {
        let handle = Handle(.pack, id)
        let object = "pack \(handle.relativePath)"
        let trailer = size >= trailerSize ? try backend.load(handle, offset: size - trailerSize, length: trailerSize) : []
        let length = try sealedHeaderLength(trailer: trailer, fileSize: size, object: object)
        let sealed = try backend.load(handle, offset: size - trailerSize - length, length: length)
        let prefix = try backend.load(handle, offset: 0, length: prefixSize)
        return try decodeHeader(prefix: prefix, sealedHeader: sealed, fileSize: size, key: key, object: object)
    }
}
