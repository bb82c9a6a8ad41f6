/// The per-thread half of saving blobs: an HMAC for ids, a zstd compressor
/// and at most one open pack. Not thread-safe; `Repository` lends each
/// writer to one saving thread at a time from its pool.
final class BlobWriter {
    private let key: MasterKey
    private let packCapacity: Int
    let hmac: HMACSHA256
    private let compressor: ZstdCompressor
    /// For blobs the trial shows to be entropy-bound (`CompressionDecision.Choice.fast`).
    private let fastCompressor: ZstdCompressor
    private(set) var pack: PackWriter?

    init(key: MasterKey, packSize: Int, compressionLevel: Int) throws {
        self.key = key
        self.packCapacity = packSize + (packSize >> 3)
        self.hmac = HMACSHA256(key: key.idKey)
        self.compressor = try ZstdCompressor(level: Int32(compressionLevel))
        self.fastCompressor = try ZstdCompressor(level: min(Int32(compressionLevel), CompressionDecision.fastLevel))
    }

    var packSize: Int { pack?.size ?? 0 }
    var pendingEntries: [Pack.Entry] { pack?.entries ?? [] }

    /// Compresses (unless not worth it) and seals one blob into the open pack.
    func add(type: BlobType, id: ObjectID, bytes: UnsafeRawBufferPointer) throws -> Pack.Entry {
        let current = try pack ?? PackWriter(key: key, capacity: packCapacity)
        pack = current
        let choice = CompressionDecision.choose(bytes, compressor: compressor)
        if choice != .store {
            let compressed = try (choice == .fast ? fastCompressor : compressor).compress(bytes)
            if compressed.count < bytes.count {
                return try compressed.withUnsafeBytes { payload in
                    try current.add(type: type, id: id, flags: Pack.flagCompressed, rawLength: bytes.count, payload: payload)
                }
            }
        }
        return try current.add(type: type, id: id, flags: 0, rawLength: bytes.count, payload: bytes)
    }

    /// Closes the open pack, if any: its bytes, salt and entries.
    func finishPack() throws -> (bytes: [UInt8], salt: [UInt8], entries: [Pack.Entry])? {
        guard let current = pack, !current.isEmpty else { return nil }
        pack = nil
        let bytes = try current.finish()
        return (bytes, current.salt, current.entries)
    }

    /// Drops the open pack after a failure; returns the blobs it held.
    func discardPack() -> [Pack.Entry] {
        defer { pack = nil }
        return pack?.entries ?? []
    }
}
