import Foundation

/// Prune at the repository level: plan from the live blob set, then copy,
/// index, and only then delete. The order makes every crash safe:
///
/// 1. live blobs of packs to repack are copied into new packs (a crash leaves
///    unindexed packs, which the next prune removes);
/// 2. one new index segment lists every kept and new pack and `supersedes`
///    every segment present (from here on, loading ignores the old ones);
/// 3. the old segments are removed, then the deleted and repacked packs
///    (a crash leaves superseded segments and unindexed packs: garbage only).
///
/// The caller holds the exclusive lock and has flushed this instance.
extension Repository {
    /// Decides which packs to keep, repack and delete. `live` is every blob
    /// some snapshot needs. Refuses (throws `IntegrityError`) when an index
    /// segment cannot be loaded or a live blob is in no stored pack, because
    /// deleting anything then could lose data. Writes nothing.
    public func planPrune(live: Set<MasterIndex.BlobKey>, maxUnused: Double) throws -> PrunePlan {
        guard maxUnused >= 0, maxUnused <= 1 else {
            throw RepositoryError(.invalidArgument, "max unused \(maxUnused) is out of range; give a share from 0% to 100%")
        }
        let (segments, order, records) = try loadSegmentsForPrune()
        var plan = PrunePlan()
        plan.oldSegments = segments
        let stored = Dictionary(try backend.list(.pack).map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a })

        // Where each live blob is stored: stored packs in index order.
        struct Copy: Equatable { var pack: ObjectID; var position: Int }
        var holders: [MasterIndex.BlobKey: [Copy]] = [:]
        for packID in order where stored[packID.hex] != nil {
            for blob in records[packID]?.blobs ?? [] {
                guard let type = BlobType(rawValue: blob.t) else { continue }
                let key = MasterIndex.BlobKey(id: blob.id, type: type)
                if live.contains(key) { holders[key, default: []].append(Copy(pack: packID, position: blob.p)) }
            }
        }
        let lost = live.filter { holders[$0] == nil }.sorted { $0.id < $1.id }
        if let first = lost.first {
            throw IntegrityError(object: "\(first.type) blob \(first.id.short)\(lost.count > 1 ? " and \(lost.count - 1) more" : "")",
                                 problem: "is needed by a snapshot but stored in no pack; prune stopped without deleting anything (forget the affected snapshots, then prune again)")
        }
        // The copy that survives: the first one the index lists.
        var canonical = holders.mapValues { $0[0] }

        enum Fate { case keep, repack, delete, missing }
        func usage(_ packID: ObjectID) -> (total: Int64, live: Int64) {
            var total: Int64 = 0, liveBytes: Int64 = 0
            for blob in records[packID]?.blobs ?? [] {
                total += Int64(blob.l)
                guard let type = BlobType(rawValue: blob.t) else { continue }
                if canonical[MasterIndex.BlobKey(id: blob.id, type: type)] == Copy(pack: packID, position: blob.p) { liveBytes += Int64(blob.l) }
            }
            return (total, liveBytes)
        }
        func fate(_ packID: ObjectID) -> Fate {
            guard stored[packID.hex] != nil else { return .missing }
            let (total, liveBytes) = usage(packID)
            if liveBytes == 0 { return .delete }
            return Double(total - liveBytes) > maxUnused * Double(total) ? .repack : .keep
        }
        var fates = Dictionary(uniqueKeysWithValues: order.map { ($0, fate($0)) })
        // A blob also stored in a kept pack is not copied: the kept copy survives.
        for (key, copy) in canonical where fates[copy.pack] == .repack {
            if let kept = holders[key]?.first(where: { fates[$0.pack] == .keep }) { canonical[key] = kept }
        }
        for packID in order where fates[packID] == .repack { fates[packID] = fate(packID) }

        plan.blobsLive = canonical.count
        var surviving = 0, entries = 0
        for packID in order {
            guard let record = records[packID] else { continue }
            entries += record.blobs.count
            switch fates[packID] ?? .missing {
            case .keep:
                plan.keep.append(record)
                surviving += record.blobs.count
                let (total, liveBytes) = usage(packID)
                plan.bytesUnusedRemaining += total - liveBytes
            case .repack:
                let copies = record.blobs.filter { blob in
                    guard let type = BlobType(rawValue: blob.t) else { return false }
                    return canonical[MasterIndex.BlobKey(id: blob.id, type: type)] == Copy(pack: packID, position: blob.p)
                }.sorted { $0.p < $1.p }
                plan.repack.append(.init(pack: record, blobs: copies))
                surviving += copies.count
                plan.bytesToRepack += copies.reduce(0) { $0 + Int64($1.l) }
            case .delete:
                plan.delete.append((packID, stored[packID.hex] ?? record.size))
            case .missing:
                plan.missing.append(packID)
            }
        }
        plan.blobsRemoved = entries - surviving
        // Packs in no current index: left by an interrupted backup or prune.
        for (name, size) in stored.sorted(by: { $0.key < $1.key }) {
            if let id = ObjectID(hex: name), records[id] == nil { plan.delete.append((id, size)) }
        }
        return plan
    }

    /// Copies, writes the new index segment, then deletes, in that order (see
    /// the extension's comment). Reloads the index when done.
    public func executePrune(_ plan: PrunePlan, progress: ((String) -> Void)? = nil) throws -> PruneOutcome {
        var outcome = PruneOutcome()
        var newPacks: [IndexSegment.PackRecord] = []
        if !plan.repack.isEmpty {
            let writer = try BlobWriter(key: key, packSize: config.packSize, compressionLevel: config.compressionLevel)
            func store() throws {
                guard let finished = try writer.finishPack() else { return }
                let id = SHA256.hash(finished.bytes)
                do {
                    try backend.save(Handle(.pack, id), finished.bytes)
                } catch let error as BackendError where error.code == .alreadyExists {
                    // Same SHA-256, same bytes: already stored.
                }
                newPacks.append(IndexSegment.PackRecord(id: id, salt: finished.salt, size: finished.bytes.count, entries: finished.entries))
                outcome.packsWritten += 1
                outcome.bytesWritten += Int64(finished.bytes.count)
            }
            for (number, item) in plan.repack.enumerated() {
                try cancellation.check()
                progress?("repacking pack \(number + 1)/\(plan.repack.count) \(item.pack.id.short)")
                try copyLiveBlobs(of: item, into: writer) { if writer.packSize >= config.packSize { try store() } }
            }
            try store()
        }

        // The last point to stop: once the new index is written, the removals
        // that follow are quick and finishing them leaves less to clean up.
        try cancellation.check()
        progress?("writing the new index (\(plan.keep.count + newPacks.count) pack(s))")
        try proveHeldLocks("no index was written and nothing deleted")
        let segment = IndexSegment(supersedes: plan.oldSegments, packs: plan.keep + newPacks)
        let segmentID = try saveDocument(DocumentJSON.encode(segment), kind: .index, trailer: segment.keylessListing)
        outcome.newSegment = segmentID

        progress?("removing \(plan.oldSegments.count) old index segment(s)")
        for old in plan.oldSegments where old != segmentID {
            try removeIfPresent(Handle(.index, old))
            outcome.segmentsRemoved += 1
        }
        let doomed = plan.delete.map(\.id) + plan.repack.map(\.pack.id)
        // Deleting packs is what a lost exclusive lock would make unsafe (a backup may use them now).
        try proveHeldLocks("no pack was deleted")
        progress?("removing \(doomed.count) pack(s)")
        for pack in doomed {
            try removeIfPresent(Handle(.pack, pack))
            outcome.packsRemoved += 1
        }
        try loadIndex()
        return outcome
    }

    /// Loads every index segment for prune: all of them must load. Returns
    /// every segment present, the packs of the current (not superseded)
    /// segments in index order, and their records.
    private func loadSegmentsForPrune() throws
        -> (segments: [ObjectID], order: [ObjectID], records: [ObjectID: IndexSegment.PackRecord]) {
        var loaded: [(ObjectID, IndexSegment)] = []
        for name in try backend.list(.index).map(\.name).sorted() {
            let object = "index segment \(Handle(.index, name).relativePath)"
            guard let id = ObjectID(hex: name) else {
                throw IntegrityError(object: object, problem: "is not named by a SHA-256; prune stopped without deleting anything (move the file out of the repository)")
            }
            do {
                loaded.append((id, try IndexSegment.load(backend: backend, name: name, key: key)))
            } catch let error as IntegrityError {
                throw IntegrityError(object: error.object, problem: "\(error.problem); prune stopped without deleting anything, since the packs it lists would look unused")
            }
        }
        let superseded = Set(loaded.flatMap(\.1.supersedes))
        var check = MasterIndex()
        var order: [ObjectID] = []
        var records: [ObjectID: IndexSegment.PackRecord] = [:]
        for (id, segment) in loaded where !superseded.contains(id) {
            do {
                try check.add(segment, name: id, object: "index segment index/\(id.hex)")
            } catch let error as IntegrityError {
                throw IntegrityError(object: error.object, problem: "\(error.problem); prune stopped without deleting anything")
            }
            for pack in segment.packs where records[pack.id] == nil {
                records[pack.id] = pack
                order.append(pack.id)
            }
        }
        return (loaded.map(\.0), order, records)
    }

    /// Reads one pack to repack and adds its live blobs, verified, to `writer`.
    /// `afterEach` runs after every blob (it closes the pack when full).
    private func copyLiveBlobs(of item: PrunePlan.Repack, into writer: BlobWriter, afterEach: () throws -> Void) throws {
        let handle = Handle(.pack, item.pack.id)
        let object = "pack \(handle.relativePath)"
        let bytes: [UInt8]
        do {
            bytes = try backend.load(handle)
        } catch let error as BackendError where error.code == .notFound {
            throw IntegrityError(object: object, problem: "vanished during prune; prune stopped without deleting anything")
        }
        guard let salt = [UInt8](hexString: item.pack.salt), salt.count == 32 else {
            throw IntegrityError(object: object, problem: "has a malformed salt in the index")
        }
        for blob in item.blobs {
            guard let type = BlobType(rawValue: blob.t), blob.o >= 0, blob.l >= 0, blob.o + blob.l <= bytes.count else {
                throw IntegrityError(object: object, problem: "is shorter than the index says (blob \(blob.id.short) is cut off); prune stopped without deleting anything")
            }
            let location = MasterIndex.Location(pack: item.pack.id, salt: salt, offset: blob.o, length: blob.l,
                                                rawLength: blob.r, flags: blob.f, position: blob.p)
            let plaintext = try Repository.openBlob(Array(bytes[blob.o..<(blob.o + blob.l)]), type: type, id: blob.id,
                                                    location: location, key: key, object: "\(type) blob \(blob.id.short) in \(object)")
            _ = try plaintext.withUnsafeBytes { try writer.add(type: type, id: blob.id, bytes: $0) }
            try afterEach()
        }
    }

    private func removeIfPresent(_ handle: Handle) throws {
        do {
            try backend.remove(handle)
        } catch let error as BackendError where error.code == .notFound {
            // Already gone (an earlier, interrupted prune): nothing to do.
        }
    }
}
