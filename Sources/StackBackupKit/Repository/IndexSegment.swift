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
        try SealedFile.seal(DocumentJSON.encode(self), kind: .index, key: key)
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
