import Foundation

public struct DatabaseBackupOutcome: Sendable {
    public let snapshotID: ObjectID?
    public let snapshot: Snapshot
    public let warnings: [String]
}

/// Dumps databases and globals into snapshots of kind `postgres` / `globals`,
/// each recording the server (`settings.name`) it was taken from.
public enum DatabaseBackupJob {
    /// `source` defaults to the server's source name for `database` (its own name
    /// unless the config gave it another).
    /// Stopped by the repository's cancellation, it throws `InterruptedError`
    /// and writes no snapshot.
    public static func backup(database: String, settings: PostgresSettings, source: String? = nil, repository: Repository,
                              tags: [String] = [], time: Date? = nil,
                              progress: (@Sendable (DumpProgress) -> Void)? = nil) throws -> DatabaseBackupOutcome {
        let source = source ?? settings.source(of: database)
        return try stoppable(repository, what: "the dump of \(database)") {
            try dump(database: database, settings: settings, source: source, repository: repository, tags: tags,
                     time: time, progress: progress)
        }
    }

    private static func dump(database: String, settings: PostgresSettings, source: String, repository: Repository,
                             tags: [String], time: Date?, progress: (@Sendable (DumpProgress) -> Void)?) throws -> DatabaseBackupOutcome {
        let lock = try repository.lock(exclusive: false, command: "backup db \(database)")
        defer { try? lock.release() }
        let started = Date()
        let adopted = try repository.adoptLeftoverPacks(ownLock: lock.id)
        let parent = try repository.latestSnapshot(source: source)
        let options = DumpOptions(chunker: repository.config.chunker.database, gear: repository.gearTable,
                                  jobs: settings.jobs, pgDump: settings.pgDump, lockTimeout: settings.lockTimeout)
        let dumper = DatabaseDumper(connection: settings.connectionConfig(), store: repository, options: options, progress: progress)
        let result = try dumper.dump(database: database)
        var stats = result.stats
        stats.durationSeconds = Date().timeIntervalSince(started)
        let snapshot = Snapshot(time: time ?? started, host: HostInfo.hostname, kind: .postgres, source: source, tags: tags,
                                root: result.manifestID, parent: parent?.id, stats: stats,
                                serverVersion: result.manifest.serverVersion, server: settings.name)
        let id = try repository.saveSnapshot(snapshot)
        return DatabaseBackupOutcome(snapshotID: id, snapshot: snapshot, warnings: adopted.note.map { [$0] + result.warnings } ?? result.warnings)
    }

    public static func backupGlobals(settings: PostgresSettings, repository: Repository, tags: [String] = [],
                                     time: Date? = nil) throws -> DatabaseBackupOutcome {
        try stoppable(repository, what: "the dump of the roles") {
            try dumpGlobals(settings: settings, repository: repository, tags: tags, time: time)
        }
    }

    private static func dumpGlobals(settings: PostgresSettings, repository: Repository, tags: [String],
                                    time: Date?) throws -> DatabaseBackupOutcome {
        let lock = try repository.lock(exclusive: false, command: "backup globals")
        defer { try? lock.release() }
        let started = Date()
        let parent = try repository.latestSnapshot(source: settings.globalsSource)
        let result = try GlobalsDumper(connection: settings.connectionConfig(), store: repository).dump()
        var stats = SnapshotStats()
        stats.durationSeconds = Date().timeIntervalSince(started)
        stats.bytesRead = Int64(result.manifestSize)
        stats.bytesTotal = Int64(result.manifestSize)
        stats.bytesAdded = Int64(result.saved.storedSize)
        stats.blobsAdded = result.saved.isNew ? 1 : 0
        stats.roles = result.manifest.roles.count
        stats.memberships = result.manifest.memberships.count
        let snapshot = Snapshot(time: time ?? started, host: HostInfo.hostname, kind: .globals, source: settings.globalsSource,
                                tags: tags, root: result.manifestID, parent: parent?.id, stats: stats, server: settings.name)
        let id = try repository.saveSnapshot(snapshot)
        return DatabaseBackupOutcome(snapshotID: id, snapshot: snapshot, warnings: result.warnings)
    }

    /// Runs `body`; once the repository's job is cancelled, any failure is
    /// reported as the interruption (a worker whose statement or blob save was
    /// stopped fails with a consequence, not the cause).
    private static func stoppable<T>(_ repository: Repository, what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            guard let reason = repository.cancellation.reason else { throw error }
            throw InterruptedError(reason: reason, detail: "\(what) stopped; no snapshot was written")
        }
    }

    /// The newest roles snapshot of the server a database snapshot was taken
    /// from (for `restore --with-roles`); snapshots without a recorded server
    /// belong to `default`.
    public static func latestGlobals(of snapshot: Snapshot, in repository: Repository) throws -> SnapshotRecord? {
        try repository.listSnapshots().snapshots.last { $0.snapshot.kind == .globals && $0.snapshot.serverName == snapshot.serverName }
    }
}
