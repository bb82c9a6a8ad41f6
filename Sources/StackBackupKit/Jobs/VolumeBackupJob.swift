// Jobs: what a command or the nightly run does end to end — lock, find the
// parent, run an archiver or dumper, flush, write the snapshot — composed
// from the lower folders. Jobs never print; they report through callbacks.
import Foundation

/// One folder to back up as a volume snapshot.
public struct VolumeBackupRequest: Sendable {
    public var name: String
    public var path: String
    public var excludes: [String] = []
    /// Globs kept even when excluded (`VolumeBackupOptions.keeps`).
    public var keeps: [String] = []
    public var sqliteGlobs: [String] = []
    public var oneFileSystem = false
    public var tags: [String] = []
    /// Record this time instead of now (tests of retention, imports).
    public var time: Date?
    public var dryRun = false
    public var parallelism = ProcessInfo.processInfo.activeProcessorCount

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

public struct VolumeBackupOutcome: Sendable {
    /// Nil for a dry run.
    public let snapshotID: ObjectID?
    public let snapshot: Snapshot
    public let parent: ObjectID?
    /// Entries the snapshot lacks or holds while they were changing: the backup
    /// is partial (exit 3) when this is not empty; the snapshot is saved anyway.
    public let skipped: [SkippedEntry]
    /// Worth saying, not partial (a file read twice because it changed).
    public let notes: [String]

    public var isPartial: Bool { !skipped.isEmpty }
    /// One line per skipped entry, then the notes.
    public var warnings: [String] { skipped.map(\.message) + notes }
}

public enum VolumeBackupJob {
    /// Backs up one folder under a shared lock. The snapshot is written only
    /// after every pack and the index naming them are durable.
    /// Stopped by the repository's cancellation, it throws `InterruptedError`
    /// and writes no snapshot.
    public static func run(_ request: VolumeBackupRequest, repository: Repository,
                           progress: ((BackupProgress) -> Void)? = nil) throws -> VolumeBackupOutcome {
        do {
            return try backUp(request, repository: repository, progress: progress)
        } catch let error as InterruptedError {
            throw error.adding("no snapshot of \(request.name) was written; the data stored so far is reused by the next backup")
        }
    }

    private static func backUp(_ request: VolumeBackupRequest, repository: Repository,
                               progress: ((BackupProgress) -> Void)?) throws -> VolumeBackupOutcome {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: request.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RepositoryError(.invalidArgument, "cannot back up \(request.name): \(request.path) is not a folder; check the path in the config or on the command line")
        }
        let lock = try repository.lock(exclusive: false, command: "backup \(request.name)")
        defer { try? lock.release() }
        let started = Date()
        let adopted = request.dryRun ? nil : try repository.adoptLeftoverPacks(ownLock: lock.id)
        let parent = try repository.latestSnapshot(source: request.name)
        let parentTree = parent?.snapshot.kind == .volume ? parent?.snapshot.root : nil
        let store: BlobStore = request.dryRun ? DryRunBlobStore(repository) : repository
        var options = VolumeBackupOptions(
            excludes: request.excludes, sqliteGlobs: request.sqliteGlobs, oneFileSystem: request.oneFileSystem,
            parallelism: request.parallelism, chunker: repository.config.chunker.volumes, gear: repository.gearTable)
        options.cancellation = repository.cancellation
        options.keeps = request.keeps
        let archiver = VolumeArchiver(store: store, options: options, progress: progress)
        let result = try archiver.archive(path: request.path, parentTree: parentTree)
        var stats = result.stats
        stats.durationSeconds = Date().timeIntervalSince(started)
        let path = URL(fileURLWithPath: request.path).standardizedFileURL.path
        let snapshot = Snapshot(time: request.time ?? started, host: HostInfo.hostname, kind: .volume, source: request.name,
                                tags: request.tags, root: result.tree, parent: parent?.id, path: path, stats: stats)
        if request.dryRun {
            return VolumeBackupOutcome(snapshotID: nil, snapshot: snapshot, parent: parent?.id, skipped: result.skipped, notes: result.notes)
        }
        let id = try repository.saveSnapshot(snapshot)
        return VolumeBackupOutcome(snapshotID: id, snapshot: snapshot, parent: parent?.id, skipped: result.skipped,
                                   notes: (adopted?.note).map { [$0] + result.notes } ?? result.notes)
    }
}
