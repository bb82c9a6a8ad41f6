/// All loaded index segments as one in-memory map: blob (type, id) → where it
/// lies. Compact: pack ids are stored once and referred to by number. Not
/// thread-safe on its own; `Repository` guards it with its lock.
public struct MasterIndex: Sendable {
    public struct BlobKey: Hashable, Sendable {
        public let id: ObjectID
        public let type: BlobType

        public init(id: ObjectID, type: BlobType) {
            self.id = id
            self.type = type
        }
    }

    public struct PackInfo: Sendable {
        public let id: ObjectID
        public let salt: [UInt8]
        public let size: Int
    }

    /// Where one blob is stored.
    public struct Location: Sendable, Equatable {
        public let pack: ObjectID
        public let salt: [UInt8]
        public let offset: Int
        public let length: Int
        public let rawLength: Int
        public let flags: UInt8
        public let position: Int
    }

    private struct Slot: Sendable {
        var pack: UInt32
        var offset: UInt32
        var length: UInt32
        var rawLength: UInt32
        var position: UInt32
        var flags: UInt8
    }

    private var packs: [PackInfo] = []
    private var packNumbers: [ObjectID: UInt32] = [:]
    private var slots: [BlobKey: Slot] = [:]
    /// Segments whose content is in this index.
    public private(set) var segments: Set<ObjectID> = []

    public init() {}

    public var blobCount: Int { slots.count }
    public var packCount: Int { packs.count }
    public var allPacks: [PackInfo] { packs }

    public func contains(_ type: BlobType, _ id: ObjectID) -> Bool { slots[BlobKey(id: id, type: type)] != nil }

    public func location(_ type: BlobType, _ id: ObjectID) -> Location? {
        guard let slot = slots[BlobKey(id: id, type: type)] else { return nil }
        let pack = packs[Int(slot.pack)]
        return Location(pack: pack.id, salt: pack.salt, offset: Int(slot.offset), length: Int(slot.length),
                        rawLength: Int(slot.rawLength), flags: slot.flags, position: Int(slot.position))
    }

    public func pack(_ id: ObjectID) -> PackInfo? { packNumbers[id].map { packs[Int($0)] } }

    /// Every indexed blob grouped by pack, in pack order (for the checker and prune).
    public func blobsByPack() -> [ObjectID: [(key: BlobKey, location: Location)]] {
        var out: [ObjectID: [(key: BlobKey, location: Location)]] = [:]
        for (key, slot) in slots {
            let pack = packs[Int(slot.pack)]
            out[pack.id, default: []].append((key, Location(pack: pack.id, salt: pack.salt, offset: Int(slot.offset), length: Int(slot.length),
                                                            rawLength: Int(slot.rawLength), flags: slot.flags, position: Int(slot.position))))
        }
        return out
    }

    /// Adds the packs of one segment after checking every record fits its pack;
    /// the first location recorded for a blob wins.
    mutating func add(_ segment: IndexSegment, name: ObjectID?, object: String) throws {
        var validated: [(IndexSegment.PackRecord, [UInt8])] = []
        for pack in segment.packs {
            guard let salt = [UInt8](hexString: pack.salt), salt.count == 32, pack.size > 0, pack.size <= Int(UInt32.max) else {
                throw IntegrityError(object: object, problem: "has a malformed record for pack \(pack.id.short)")
            }
            for blob in pack.blobs {
                guard BlobType(rawValue: blob.t) != nil, blob.o >= Pack.prefixSize, blob.l >= AESGCM.tagSize,
                      blob.l <= pack.size, blob.o <= pack.size - blob.l, blob.r >= 0, blob.r <= Int(UInt32.max), blob.p >= 0,
                      blob.p <= Int(UInt32.max), blob.f & ~Pack.flagCompressed == 0 else {
                    throw IntegrityError(object: object, problem: "has a malformed record for blob \(blob.id.short) in pack \(pack.id.short)")
                }
            }
            validated.append((pack, salt))
        }
        for (pack, salt) in validated {
            let number: UInt32
            if let known = packNumbers[pack.id] {
                number = known
            } else {
                number = UInt32(packs.count)
                packs.append(PackInfo(id: pack.id, salt: salt, size: pack.size))
                packNumbers[pack.id] = number
            }
            for blob in pack.blobs {
                guard let type = BlobType(rawValue: blob.t) else { continue }
                let key = BlobKey(id: blob.id, type: type)
                if slots[key] == nil {
                    slots[key] = Slot(pack: number, offset: UInt32(blob.o), length: UInt32(blob.l),
                                      rawLength: UInt32(blob.r), position: UInt32(blob.p), flags: blob.f)
                }
            }
        }
        if let name { segments.insert(name) }
    }

    mutating func markSegment(_ id: ObjectID) { segments.insert(id) }
}
