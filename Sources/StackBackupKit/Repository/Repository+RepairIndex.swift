import Foundation

/// `repair index`: the index is rebuilt from the packs themselves. Each pack
/// ends with a sealed header listing its blobs (type, flags, lengths, id), so
/// the index can always be derived again from `data/`. Order, for crash safety:
///
/// 1. every stored pack's header is read (three small ranged reads each);
/// 2. new segments are written, the last one superseding every old segment
///    (a crash before it leaves old and new segments side by side: a superset);
/// 3. only then are the old segments removed, damaged ones included.
///
/// A pack whose header cannot be read is damage, named in the report; when an
/// old segment that still loads lists it with the same size, that record is
/// kept (it was authenticated when written, and every blob read is verified).
/// The caller holds the exclusive lock and has flushed this instance.
extension Repository {
    /// Packs per segment written by a repair, so no single document grows without bound.
    static let packsPerRepairSegment = 1024

    /// Writes `records` as index segments of at most `packsPerRepairSegment` packs, the last
    /// one superseding `lastSupersedes`; returns their ids in the order written.
    func saveIndexSegments(_ records: [IndexSegment.PackRecord], lastSupersedes: [ObjectID] = [],
                           progress: ((_ number: Int, _ count: Int) -> Void)? = nil) throws -> [ObjectID] {
        let groups = stride(from: 0, to: records.count, by: Self.packsPerRepairSegment).map {
            Array(records[$0..<min($0 + Self.packsPerRepairSegment, records.count)])
        }
        var written: [ObjectID] = []
        for (number, group) in groups.enumerated() {
            progress?(number + 1, groups.count)
            let segment = IndexSegment(supersedes: number == groups.count - 1 ? lastSupersedes : [], packs: group)
            written.append(try saveDocument(DocumentJSON.encode(segment), kind: .index, trailer: segment.keylessListing))
        }
        return written
    }

    public func rebuildIndex(cancellation: Cancellation, progress: ((String) -> Void)? = nil) throws -> IndexRepairReport {
        var report = IndexRepairReport()
        try loadIndex()
        let old = currentIndex
        let damagedBefore = Set(damagedIndexSegments.map(\.name))
        let oldSegments = try backend.list(.index).map(\.name).sorted()
        let stored = try backend.list(.pack).sorted { $0.name < $1.name }
        report.packsStored = stored.count

        var records: [IndexSegment.PackRecord] = []
        for (number, pack) in stored.enumerated() {
            try cancellation.check()
            progress?("reading pack headers: \(number + 1)/\(stored.count)")
            let path = "data/\(pack.name.prefix(2))/\(pack.name)"
            guard let id = ObjectID(hex: pack.name) else {
                report.unreadablePacks.append(.init(path: path, reason: "is not named by a SHA-256", keptFromOldIndex: false))
                continue
            }
            do {
                let header = try Pack.readHeader(backend: backend, id: id, size: pack.size, key: key)
                records.append(IndexSegment.PackRecord(id: id, salt: header.salt, size: pack.size, entries: header.entries))
                report.packsRead += 1
            } catch let error as IntegrityError {
                let kept = Self.oldRecord(of: id, size: pack.size, in: old)
                if let kept { records.append(kept) }
                report.unreadablePacks.append(.init(path: path, reason: error.problem, keptFromOldIndex: kept != nil))
            } catch let error as BackendError where error.code == .shortRead || error.code == .notFound {
                report.unreadablePacks.append(.init(path: path, reason: "could not be read (\(error))", keptFromOldIndex: false))
            }
        }
        try cancellation.check()

        let storedIDs = Set(stored.compactMap { ObjectID(hex: $0.name) })
        report.missingPacks = old.allPacks.map(\.id).filter { !storedIDs.contains($0) }.map(\.hex).sorted()
        let supersedes = oldSegments.compactMap { ObjectID(hex: $0) }
        let segments = try saveIndexSegments(records, lastSupersedes: supersedes) { number, count in
            progress?("writing index segment \(number)/\(count)")
        }
        let written = Set(segments.map(\.hex))
        report.segmentsWritten = segments.count
        // Not cancellable from here on: the new index is complete, the old one only goes.
        progress?("removing \(oldSegments.count) old index segment(s)")
        for name in oldSegments where !written.contains(name) {
            do {
                try backend.remove(Handle(.index, name))
            } catch let error as BackendError where error.code == .notFound {
                continue
            }
            report.segmentsRemoved += 1
            if damagedBefore.contains(name) { report.damagedSegmentsRemoved.append(Handle(.index, name).relativePath) }
        }
        try loadIndex()
        let new = currentIndex
        report.blobsIndexed = new.blobCount
        var recovered = 0
        for (_, blobs) in new.blobsByPack() {
            recovered += blobs.reduce(0) { $0 + (old.contains($1.key.type, $1.key.id) ? 0 : 1) }
        }
        report.blobsRecovered = recovered
        var dropped = 0
        for (_, blobs) in old.blobsByPack() {
            dropped += blobs.reduce(0) { $0 + (new.contains($1.key.type, $1.key.id) ? 0 : 1) }
        }
        report.blobsDropped = dropped
        return report
    }

    /// The record an old, loadable segment holds for a pack, when its size agrees.
    private static func oldRecord(of id: ObjectID, size: Int, in index: MasterIndex) -> IndexSegment.PackRecord? {
        guard let pack = index.pack(id), pack.size == size, let blobs = index.blobsByPack()[id], !blobs.isEmpty else { return nil }
        let entries = blobs.sorted { $0.location.position < $1.location.position }.map { blob in
            Pack.Entry(type: blob.key.type, flags: blob.location.flags, rawLength: UInt32(blob.location.rawLength),
                       storedLength: UInt32(blob.location.length), id: blob.key.id, offset: blob.location.offset,
                       position: blob.location.position)
        }
        return IndexSegment.PackRecord(id: id, salt: pack.salt, size: size, entries: entries)
    }
}
