import Foundation

public struct DatabaseBackupOutcome: Sendable {
    public let snapshotID: ObjectID?
    public let snapshot: Snapshot
    public let warnings: [String]
}

/// Dumps databases and globals into snapshots of kind `postgres` / `globals`.
public enum DatabaseBackupJob {
    public static func backup(database: String, settings: PostgresSettings, repository: Repository,
                              tags: [String] = [], time: Date? = nil,
                              progress: ((DumpProgress) -> Void)? = nil) throws -> DatabaseBackupOutcome {
        let lock = try repository.lock(exclusive: false, command: "backup db \(database)")
        defer { try? lock.release() }
        let started = Date()
        let parent = try repository.latestSnapshot(source: database)
        let options = DumpOptions(chunker: repository.config.chunker.database, gear: repository.gearTable,
                                  jobs: settings.jobs, pgDump: settings.pgDump, lockTimeout: settings.lockTimeout)
        let dumper = DatabaseDumper(connection: settings.connectionConfig(), store: repository, options: options, progress: progress)
        let result = try dumper.dump(database: database)
        var stats = result.stats
        stats.durationSeconds = Date().timeIntervalSince(started)
        let snapshot = Snapshot(time: time ?? started, host: HostInfo.hostname, kind: .postgres, source: database, tags: tags,
                                root: result.manifestID, parent: parent?.id, stats: stats,
                                serverVersion: result.manifest.serverVersion)
        let id = try repository.saveSnapshot(snapshot)
        return DatabaseBackupOutcome(snapshotID: id, snapshot: snapshot, warnings: result.warnings)
    }

    public static func backupGlobals(settings: PostgresSettings, repository: Repository, tags: [String] = [],
                                     time: Date? = nil) throws -> DatabaseBackupOutcome {
        let lock = try repository.lock(exclusive: false, command: "backup globals")
        defer { try? lock.release() }
        let started = Date()
        let parent = try repository.latestSnapshot(source: "globals")
        let result = try GlobalsDumper(connection: settings.connectionConfig(), store: repository).dump()
        var stats = SnapshotStats()
        stats.durationSeconds = Date().timeIntervalSince(started)
        let snapshot = Snapshot(time: time ?? started, host: HostInfo.hostname, kind: .globals, source: "globals", tags: tags,
                                root: result.manifestID, parent: parent?.id, stats: stats)
        let id = try repository.saveSnapshot(snapshot)
        return DatabaseBackupOutcome(snapshotID: id, snapshot: snapshot, warnings: result.warnings)
    }
}
