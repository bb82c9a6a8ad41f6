import Foundation

/// How `prune` runs.
public struct PruneOptions: Sendable {
    /// A pack whose dead share (of its blob bytes) is above this is repacked (0.05 = 5%).
    public var maxUnused: Double = 0.05
    /// Plan and report only: nothing is written or removed (a shared lock is taken).
    public var dryRun = false
    /// Seconds to wait for the lock before failing with `RepositoryError(.locked)`.
    /// Nil: the repository's `lockWait`.
    public var lockWait: TimeInterval?

    public init(maxUnused: Double = 0.05, dryRun: Bool = false, lockWait: TimeInterval? = nil) {
        self.maxUnused = maxUnused
        self.dryRun = dryRun
        self.lockWait = lockWait
    }
}

/// What a prune did (or, for a dry run, would do). Codable for `--json`.
public struct PruneReport: Codable, Sendable {
    public var packsDeleted = 0
    public var packsRepacked = 0
    public var packsKept = 0
    /// Pack bytes removed minus pack bytes written by the repack (estimated for a dry run).
    public var bytesFreed: Int64 = 0
    /// Sealed bytes of live blobs copied into new packs.
    public var bytesRepacked: Int64 = 0
    /// Dead bytes left in kept packs (each under the `maxUnused` share).
    public var bytesUnusedRemaining: Int64 = 0
    public var blobsLive = 0
    public var blobsRemoved = 0
    public var indexSegmentsReplaced = 0
    /// Crash leftovers: lock files of dead processes on this host, temp files older than a day.
    public var locksRemoved = 0
    public var tempFilesRemoved = 0
    public var tempBytesRemoved: Int64 = 0
    public var dryRun = false

    public init() {}

    /// One or two lines for the console.
    public var summary: String {
        let verb = dryRun ? "would free" : "freed"
        let first = "prune \(verb) \(Self.bytes(bytesFreed)): \(packsDeleted) pack(s) deleted, \(packsRepacked) repacked "
            + "(\(Self.bytes(bytesRepacked)) copied), \(packsKept) kept; \(blobsRemoved) blob(s) removed, \(blobsLive) live"
        let second = "\(Self.bytes(bytesUnusedRemaining)) unused remain in kept packs; "
            + "\(indexSegmentsReplaced) index segment(s) \(dryRun ? "would be " : "")replaced" + (dryRun ? " (dry run: nothing changed)" : "")
        guard locksRemoved > 0 || tempFilesRemoved > 0 else { return first + "\n" + second }
        let third = "\(dryRun ? "would remove" : "removed") \(locksRemoved) lock file(s) of dead processes and \(tempFilesRemoved) temp file(s) "
            + "older than a day (\(Self.bytes(tempBytesRemoved))) left by crashes"
        return first + "\n" + second + "\n" + third
    }

    static func bytes(_ count: Int64) -> String { ByteCount.human(count) }
}

/// Removes data no snapshot needs: marks the blobs reachable from every
/// snapshot, deletes packs with nothing live, repacks packs above the unused
/// threshold, writes one new index that supersedes the old segments, and only
/// then deletes old files (see `Repository.executePrune`). A crash at any
/// point loses nothing a snapshot needs.
///
/// Refuses to run (throws `IntegrityError`, nothing deleted) when a snapshot,
/// tree, manifest or index segment cannot be loaded, or a live blob is in no
/// pack: deleting anything then could lose data.
public enum PruneJob {
    /// Stopped by the repository's cancellation before its new index is
    /// written, it throws `InterruptedError` and has deleted nothing.
    public static func run(repository: Repository, options: PruneOptions, progress: ((String) -> Void)?) throws -> PruneReport {
        do {
            return try prune(repository: repository, options: options, progress: progress)
        } catch let error as InterruptedError {
            throw error.adding("prune deleted nothing; packs it had written are removed by the next prune")
        }
    }

    private static func prune(repository: Repository, options: PruneOptions, progress: ((String) -> Void)?) throws -> PruneReport {
        let lock = try repository.lock(exclusive: !options.dryRun, command: "prune", wait: options.lockWait)
        defer { try? lock.release() }
        if !options.dryRun { try repository.flush() }
        try repository.loadIndex()
        if let (name, error) = repository.damagedIndexSegments.first {
            throw IntegrityError(object: "index segment \(Handle(.index, name).relativePath)",
                                 problem: "cannot be loaded (\(error)); prune stopped without deleting anything, since the packs it lists would look unused")
        }
        let live = try liveBlobs(repository: repository, progress: progress)
        progress?("planning: \(live.count) live blob(s)")
        let plan = try repository.planPrune(live: live, maxUnused: options.maxUnused)

        var report = PruneReport()
        report.dryRun = options.dryRun
        let leftovers = try repository.removeCrashLeftovers(dryRun: options.dryRun)
        report.locksRemoved = leftovers.locks
        report.tempFilesRemoved = leftovers.tempFiles
        report.tempBytesRemoved = leftovers.tempBytes
        report.packsDeleted = plan.delete.count
        report.packsRepacked = plan.repack.count
        report.packsKept = plan.keep.count
        report.bytesRepacked = plan.bytesToRepack
        report.bytesUnusedRemaining = plan.bytesUnusedRemaining
        report.blobsLive = plan.blobsLive
        report.blobsRemoved = plan.blobsRemoved
        let removed = plan.bytesDeleted + plan.bytesOfRepackedPacks
        guard plan.hasWork else {
            report.bytesFreed = 0
            return report
        }
        report.indexSegmentsReplaced = plan.oldSegments.count
        if options.dryRun {
            report.bytesFreed = removed - plan.bytesToRepack
            return report
        }
        let outcome = try repository.executePrune(plan, progress: progress)
        report.bytesFreed = removed - outcome.bytesWritten
        return report
    }

    /// Every blob some snapshot needs: trees walked recursively for volume
    /// snapshots, a database manifest and the blobs it references for
    /// `postgres` snapshots, the manifest alone for `globals`.
    public static func liveBlobs(repository: Repository, progress: ((String) -> Void)? = nil) throws -> Set<MasterIndex.BlobKey> {
        let (snapshots, damaged) = try repository.listSnapshots()
        if let (name, error) = damaged.first {
            throw IntegrityError(object: "snapshot \(Handle(.snapshot, name).relativePath)",
                                 problem: "cannot be loaded (\(error)); prune stopped without deleting anything, since the data it references would look unused (remove the file if it cannot be recovered)")
        }
        progress?("marking the blobs of \(snapshots.count) snapshot(s)")
        var live = Set<MasterIndex.BlobKey>()
        for record in snapshots {
            let snapshot = record.snapshot
            let what = "snapshot \(record.id.short) (\(snapshot.kind.rawValue) \(snapshot.source))"
            switch snapshot.kind {
            case .volume:
                try markTree(snapshot.root, in: repository, live: &live, snapshot: what)
            case .postgres:
                live.insert(MasterIndex.BlobKey(id: snapshot.root, type: .manifest))
                let manifest: DatabaseManifest
                do {
                    manifest = try repository.loadJSON(DatabaseManifest.self, id: snapshot.root)
                } catch {
                    throw refusal("manifest \(snapshot.root.short) of \(what)", error)
                }
                for (_, blobs) in manifest.referencedBlobs {
                    for blob in blobs { live.insert(MasterIndex.BlobKey(id: blob, type: .data)) }
                }
            case .globals:
                live.insert(MasterIndex.BlobKey(id: snapshot.root, type: .manifest))
            }
        }
        return live
    }

    private static func markTree(_ root: ObjectID, in repository: Repository, live: inout Set<MasterIndex.BlobKey>, snapshot: String) throws {
        var pending = [root]
        while let id = pending.popLast() {
            guard live.insert(MasterIndex.BlobKey(id: id, type: .tree)).inserted else { continue }
            let tree: Tree
            do {
                tree = try repository.loadTree(id)
            } catch {
                throw refusal("tree \(id.short) of \(snapshot)", error)
            }
            for node in tree.nodes {
                for blob in node.content ?? [] { live.insert(MasterIndex.BlobKey(id: blob, type: .data)) }
                if let subtree = node.subtree { pending.append(subtree) }
            }
        }
    }

    /// Damage (or a missing blob) becomes an `IntegrityError` naming the object;
    /// a storage failure or a stop stays what it is: prune could not run, or was told to stop.
    private static func refusal(_ object: String, _ error: Error) -> Error {
        if error is BackendError || error is InterruptedError || error is CancellationError { return error }
        let reason = (error as? IntegrityError)?.problem ?? "\(error)"
        return IntegrityError(object: object, problem: "cannot be loaded (\(reason)); prune stopped without deleting anything")
    }
}
