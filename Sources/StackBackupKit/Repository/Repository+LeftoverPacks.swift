import Foundation

/// Packs that a killed backup stored but never indexed.
public struct AdoptedPacks: Sendable, Equatable {
    public var packs = 0
    public var bytes: Int64 = 0
    public var blobs = 0
    /// Unindexed packs left alone: damaged (kept for `repair index` or prune to judge).
    public var unreadable = 0

    public init() {}

    /// What the backup says about them; nil when there was nothing to adopt.
    public var note: String? {
        var parts: [String] = []
        if packs > 0 {
            parts.append("reused \(packs) pack(s), \(ByteCount.human(bytes)), that an interrupted backup had stored")
        }
        if unreadable > 0 {
            parts.append("\(unreadable) unindexed pack(s) are damaged and were left alone; run `stackbackup verify`")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}

extension Repository {
    /// Indexes the complete packs that a dead backup left unindexed, so the
    /// next backup reuses their blobs instead of storing them again (a killed
    /// first upload of a large volume continues where it stopped).
    ///
    /// Runs only while no other live process holds a lock: a running backup's
    /// packs are unindexed until it flushes, and are its to index. The packs
    /// are listed before the locks are read, so a process that wrote one of
    /// them held its lock by then and is seen. A pack is adopted only when its
    /// content hashes to its name and its sealed header opens with this key;
    /// anything else stays for `repair index` or prune. `ownLock` is the id of
    /// the caller's lock.
    public func adoptLeftoverPacks(ownLock: String) throws -> AdoptedPacks {
        var adopted = AdoptedPacks()
        let indexed = currentIndex
        let unindexed = try backend.list(.pack).filter { pack in
            guard let id = ObjectID(hex: pack.name) else { return false }
            return indexed.pack(id) == nil
        }
        guard !unindexed.isEmpty else { return adopted }
        let others = try listLocks().filter { $0.id != ownLock && !$0.isStale() }
        guard others.isEmpty else { return adopted }

        var records: [IndexSegment.PackRecord] = []
        for pack in unindexed.sorted(by: { $0.name < $1.name }) {
            try cancellation.check()
            guard let id = ObjectID(hex: pack.name) else { continue }
            do {
                let bytes = try backend.load(Handle(.pack, id))
                guard bytes.count == pack.size, SHA256.hash(bytes) == id else {
                    adopted.unreadable += 1
                    continue
                }
                let header = try Pack.readHeader(of: bytes, key: key, object: "pack \(Handle(.pack, id).relativePath)")
                records.append(IndexSegment.PackRecord(id: id, salt: header.salt, size: pack.size, entries: header.entries))
                adopted.packs += 1
                adopted.bytes += Int64(pack.size)
                adopted.blobs += header.entries.count
            } catch is IntegrityError {
                adopted.unreadable += 1
            } catch let error as BackendError where error.code == .notFound || error.code == .shortRead {
                continue  // removed meanwhile (a prune elsewhere): nothing to adopt
            }
        }
        guard !records.isEmpty else { return adopted }
        try proveHeldLocks("the packs left by an interrupted backup were not indexed")
        _ = try saveIndexSegments(records)
        try loadIndex()
        return adopted
    }
}
