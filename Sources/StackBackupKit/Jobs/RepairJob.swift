import Foundation

/// How `repair snapshots` runs.
public struct SnapshotRepairOptions: Sendable {
    /// Report what would be written and forgotten; write nothing, take no lock.
    public var dryRun = false
    /// Remove each original once its repaired snapshot is stored, and snapshots
    /// with nothing recoverable (root tree or manifest unreadable).
    public var forget = false
    /// Also read and verify every data blob; one that fails counts as missing.
    public var readData = false

    public init(dryRun: Bool = false, forget: Bool = false, readData: Bool = false) {
        self.dryRun = dryRun
        self.forget = forget
        self.readData = readData
    }
}

/// `repair index` and `repair snapshots`.
///
/// Snapshots: a volume snapshot with unreadable trees or missing chunks gets a
/// new snapshot (see `TreeRepairer`), tagged `repaired`, `repaired_from` the
/// original, timed 2 ms after it so `latest` finds it; the original stays
/// unless `forget`. Database snapshots are never rewritten: a table missing
/// some COPY chunks would restore with rows silently gone, so the report names
/// each table or schema section with missing chunks instead, and the intact
/// tables can be restored with `restore SOURCE --snapshot ID --table PATTERN`.
public enum RepairJob {
    public static let repairedTag = "repaired"

    /// Rebuilds the index from the pack headers under the exclusive lock.
    public static func index(repository: Repository, cancellation: Cancellation,
                             progress: ((String) -> Void)? = nil) throws -> IndexRepairReport {
        let lock = try repository.lock(exclusive: true, command: "repair index")
        defer { try? lock.release() }
        try repository.flush()
        return try repository.rebuildIndex(cancellation: cancellation, progress: progress)
    }

    public static func snapshots(repository: Repository, options: SnapshotRepairOptions, cancellation: Cancellation,
                                 progress: ((String) -> Void)? = nil) throws -> SnapshotRepairReport {
        let lock = options.dryRun ? nil : try repository.lock(exclusive: true, command: "repair snapshots")
        defer { try? lock?.release() }
        try repository.loadIndex()
        if let (name, error) = repository.damagedIndexSegments.first {
            throw IntegrityError(object: "index segment \(Handle(.index, name).relativePath)",
                                 problem: "cannot be loaded (\(error)); run `stackbackup repair index` first, else intact data would look missing and be dropped")
        }
        var stored: [ObjectID: Int] = [:]
        for (name, size) in try repository.backend.list(.pack) {
            if let id = ObjectID(hex: name) { stored[id] = size }
        }
        let index = repository.currentIndex
        let unindexed = stored.keys.filter { index.pack($0) == nil }.count

        var report = SnapshotRepairReport()
        report.dryRun = options.dryRun
        let (records, damaged) = try repository.listSnapshots()
        report.unreadableDocuments = damaged.map { .init(path: Handle(.snapshot, $0.name).relativePath, problem: $0.error) }
        let replaced = Set(records.compactMap(\.snapshot.repairedFrom))
        let availability = BlobAvailability(repository: repository, storedPacks: stored, readData: options.readData)
        // Trees are only collected here; they are stored once the plan is known to be safe.
        var newTrees: [ObjectID: [UInt8]] = [:]
        let repairer = TreeRepairer(repository: repository, availability: availability, cancellation: cancellation) { tree in
            let bytes = try CanonicalJSON.encode(tree)
            let id = bytes.withUnsafeBytes { repository.blobID(for: $0) }
            newTrees[id] = bytes
            return id
        }

        var plans: [(record: SnapshotRecord, root: ObjectID)] = []
        for (number, record) in records.enumerated() {
            try cancellation.check()
            progress?("checking snapshot \(number + 1)/\(records.count) \(record.id.short)")
            report.snapshotsChecked += 1
            let snapshot = record.snapshot
            if replaced.contains(record.id) {
                report.alreadyRepaired.append(record.id)
                continue
            }
            switch snapshot.kind {
            case .volume:
                let (root, changes) = try repairer.repair(root: snapshot.root)
                if let root, root == snapshot.root {
                    report.snapshotsIntact += 1
                } else if let root {
                    plans.append((record, root))
                    report.repaired.append(.init(original: record.id, repaired: nil, source: snapshot.source, time: snapshot.time,
                                                 items: changes.map { .init(path: $0.path, problem: $0.problem) },
                                                 originalForgotten: options.forget))
                } else {
                    report.unrepaired.append(unrecoverable(record, "its root tree \(snapshot.root.short) is unreadable, so nothing of it can be restored", options))
                }
            case .postgres, .globals:
                if let unrepaired = try databaseDamage(record, repository: repository, availability: availability, options: options) {
                    report.unrepaired.append(unrepaired)
                } else {
                    report.snapshotsIntact += 1
                }
            }
        }
        if unindexed > 0 && (!report.repaired.isEmpty || !report.unrepaired.isEmpty) {
            throw RepositoryError(.other, "\(unindexed) pack(s) in \(repository.backend.location) are in no index, so data these snapshots miss may be in them; run `stackbackup repair index` first (nothing was changed)")
        }
        report.alreadyRepairedForgotten = options.forget && !report.alreadyRepaired.isEmpty
        guard !options.dryRun else { return report }

        for (id, bytes) in newTrees.sorted(by: { $0.key < $1.key }) {
            let saved = try repository.saveBlob(.tree, bytes: bytes)
            guard saved.id == id else {
                throw RepositoryError(.other, "a repaired tree got id \(saved.id.short), not \(id.short); this is a bug, please report it")
            }
        }
        for (number, plan) in plans.enumerated() {
            var snapshot = plan.record.snapshot
            snapshot.root = plan.root
            if !snapshot.tags.contains(repairedTag) { snapshot.tags.append(repairedTag) }
            snapshot.repairedFrom = plan.record.id
            snapshot.time = snapshot.time.addingTimeInterval(0.002)
            snapshot.toolVersion = StackBackupVersion.current
            let id = try repository.saveSnapshot(snapshot)
            report.repaired[report.repaired.firstIndex { $0.original == plan.record.id }!].repaired = id
            progress?("wrote repaired snapshot \(number + 1)/\(plans.count) \(id.short)")
            if options.forget { try repository.removeSnapshot(plan.record.id) }
        }
        for item in report.unrepaired where item.forgotten {
            try repository.removeSnapshot(item.snapshot)
        }
        // Replaced by an earlier run without --forget: the repaired snapshot is stored and readable.
        if report.alreadyRepairedForgotten {
            for original in report.alreadyRepaired { try repository.removeSnapshot(original) }
        }
        return report
    }

    private static func unrecoverable(_ record: SnapshotRecord, _ reason: String, _ options: SnapshotRepairOptions,
                                      items: [SnapshotRepairReport.Item] = []) -> SnapshotRepairReport.Unrepaired {
        .init(snapshot: record.id, kind: record.snapshot.kind, source: record.snapshot.source, time: record.snapshot.time,
              reason: reason, items: items, forgotten: options.forget)
    }

    /// Nil when a database or globals snapshot is intact; else what is missing per table.
    private static func databaseDamage(_ record: SnapshotRecord, repository: Repository, availability: BlobAvailability,
                                       options: SnapshotRepairOptions) throws -> SnapshotRepairReport.Unrepaired? {
        let root = record.snapshot.root
        let manifest: DatabaseManifest?
        do {
            guard availability.available(.manifest, root) else { throw RepositoryError(.notFound, "is missing") }
            if record.snapshot.kind == .postgres {
                manifest = try repository.loadJSON(DatabaseManifest.self, id: root)
            } else {
                _ = try repository.loadBlob(.manifest, id: root)
                manifest = nil
            }
        } catch let error where error is IntegrityError || (error as? RepositoryError)?.code == .notFound
                    || [.notFound, .shortRead].contains((error as? BackendError)?.code) {
            let reason = (error as? IntegrityError)?.problem ?? "\(error)"
            return unrecoverable(record, "its manifest \(root.short) is unreadable (\(reason)), so nothing of it can be restored", options)
        }
        var items: [SnapshotRepairReport.Item] = []
        for (item, blobs) in manifest?.referencedBlobs ?? [] {
            let missing = try blobs.filter { try !availability.dataAvailable($0) }.count
            if missing > 0 { items.append(.init(path: item, problem: "\(missing) of \(blobs.count) chunk(s) missing")) }
        }
        guard !items.isEmpty else { return nil }
        // Never forgotten: which tables still matter is the operator's call.
        return unrecoverable(record, "a database snapshot is not rewritten (a table without some of its rows would restore silently wrong); "
                             + "restore its intact tables with `stackbackup restore \(record.snapshot.source) --snapshot \(record.id.short) --table PATTERN`",
                             SnapshotRepairOptions(forget: false), items: items)
    }
}
