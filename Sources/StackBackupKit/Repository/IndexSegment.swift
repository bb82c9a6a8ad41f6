/// An `index/<id>` document (sealed JSON): the packs written by one run and
/// where each of their blobs lies. A segment written by prune names the
/// segments it replaces in `supersedes`.
public struct IndexSegment: Codable, Sendable {
    public static let currentVersion = 1

    public struct BlobRecord: Codable, Sendable, Equatable {
        public var id: ObjectID
        /// Blob type raw value.
        public var t: UInt8
        /// Flags (bit 0: compressed).
        public var f: UInt8
        /// Offset of the sealed blob in the pack.
        public var o: Int
        /// Stored (sealed) length.
        public var l: Int
        /// Raw (plaintext) length.
        public var r: Int
        /// Position in the pack, which is the nonce counter.
        public var p: Int

        public init(_ entry: Pack.Entry) {
            id = entry.id
            t = entry.type.rawValue
            f = entry.flags
            o = entry.offset
            l = Int(entry.storedLength)
            r = Int(entry.rawLength)
            p = entry.position
        }
    }

    public struct PackRecord: Codable, Sendable {
        public var id: ObjectID
        /// Hex of the pack's 32-byte salt, so one ranged read can open a blob.
        public var salt: String
        public var size: Int
        public var blobs: [BlobRecord]

        public init(id: ObjectID, salt: [UInt8], size: Int, entries: [Pack.Entry]) {
            self.id = id
            self.salt = salt.hexString
            self.size = size
            self.blobs = entries.map(BlobRecord.init)
        }
    }

    public var version: Int
    public var supersedes: [ObjectID]
    public var packs: [PackRecord]

    public init(supersedes: [ObjectID] = [], packs: [PackRecord]) {
        self.version = Self.currentVersion
        self.supersedes = supersedes
        self.packs = packs
    }

    func sealed(key: MasterKey) throws -> [UInt8] {
        try SealedFile.seal(DocumentJSON.encode(self), kind: .index, key: key, trailer: keylessListing)
    }

    /// The pack list readable without the key: u32le pack count, per pack its
    /// id and u64le size, then u32le count of superseded segments and their ids.
    /// Pack ids and sizes are visible in any file listing anyway.
    var keylessListing: [UInt8] {
        var out: [UInt8] = []
        out.appendLE(UInt32(packs.count))
        for pack in packs {
            out += pack.id.bytes
            out.appendLE(UInt32(truncatingIfNeeded: UInt64(pack.size)))
            out.appendLE(UInt32(truncatingIfNeeded: UInt64(pack.size) >> 32))
        }
        out.appendLE(UInt32(supersedes.count))
        for id in supersedes { out += id.bytes }
        return out
    }

    /// Decodes `keylessListing` from a stored index segment; nil for a segment
    /// written without one.
    static func keylessListing(of bytes: [UInt8], object: String) throws -> (packs: [(id: ObjectID, size: Int)], supersedes: [ObjectID])? {
        guard let trailer = try SealedFile.trailer(of: bytes, object: object) else { return nil }
        var reader = ByteReader(trailer, object: object)
        let count = Int(try reader.u32())
        guard count <= reader.remaining / 40 else { throw IntegrityError(object: object, problem: "has a pack list with an impossible count") }
        var packs: [(ObjectID, Int)] = []
        for _ in 0..<count {
            guard let id = ObjectID(bytes: try reader.take(32)) else { throw IntegrityError(object: object, problem: "has a bad pack id") }
            let low = UInt64(try reader.u32()), high = UInt64(try reader.u32())
            packs.append((id, Int(clamping: low | high << 32)))
        }
        let superseded = Int(try reader.u32())
        guard superseded <= reader.remaining / 32 else { throw IntegrityError(object: object, problem: "has a superseded list with an impossible count") }
        var supersedes: [ObjectID] = []
        for _ in 0..<superseded {
            guard let id = ObjectID(bytes: try reader.take(32)) else { throw IntegrityError(object: object, problem: "has a bad segment id") }
            supersedes.append(id)
        }
        return (packs, supersedes)
    }

    static func load(backend: Backend, name: String, key: MasterKey) throws -> IndexSegment {
        let handle = Handle(.index, name)
        let object = "index segment \(handle.relativePath)"
        let bytes = try backend.load(handle)
        guard SHA256.hash(bytes) == ObjectID(hex: name) else {
            throw IntegrityError(object: object, problem: "has a SHA-256 that does not match its name")
        }
        let plaintext = try SealedFile.open(bytes, kind: .index, key: key, object: object)
        let segment: IndexSegment
        do {
            segment = try DocumentJSON.decode(IndexSegment.self, from: plaintext)
        } catch {
            throw IntegrityError(object: object, problem: "is not a valid index document (\(error))")
        }
        guard segment.version == currentVersion else {
            throw RepositoryError(.unsupportedVersion, "\(object) has index version \(segment.version); use a matching stackbackup release")
        }
        return segment
    }
}
