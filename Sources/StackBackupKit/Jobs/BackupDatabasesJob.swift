import Foundation

/// `backup db [NAME…]` and `backup globals`: one snapshot per database (or
/// per server's roles) through one `SourceBatch`.
public enum BackupDatabasesJob {
    /// What the caller shows; `started` and `finished` run inside the source's
    /// turn, so an error they throw fails that source.
    public enum Event {
        case started(DatabaseTarget)
        case progress(DatabaseTarget, DumpProgress)
        /// `database` is "globals" for a server's roles.
        case finished(source: String, database: String, server: PostgresSettings, DatabaseBackupOutcome)
        case failed(source: String, any Error)
    }

    /// Dumps each target in turn; a stop ends the batch (`interruption`).
    public static func run(_ targets: [DatabaseTarget], repository: Repository, tags: [String] = [], time: Date? = nil,
                           events: @escaping (Event) throws -> Void) -> SourceBatch<DatabaseBackupOutcome> {
        var batch = SourceBatch<DatabaseBackupOutcome>(cancellation: repository.cancellation)
        for target in targets {
            let result = batch.run(target.source) {
                try events(.started(target))
                let outcome = try DatabaseBackupJob.backup(database: target.database, settings: target.server, source: target.source,
                                                           repository: repository, tags: tags, time: time) { p in try? events(.progress(target, p)) }
                try events(.finished(source: target.source, database: target.database, server: target.server, outcome))
                return outcome
            }
            if case .failure(let error)? = result, !(error is InterruptedError) { try? events(.failed(source: target.source, error)) }
            if batch.interruption != nil { break }
        }
        return batch
    }

    /// Dumps the roles of each server, filed as its `globalsSource`.
    public static func runGlobals(_ servers: [PostgresSettings], repository: Repository, tags: [String] = [], time: Date? = nil,
                                  events: @escaping (Event) throws -> Void) -> SourceBatch<DatabaseBackupOutcome> {
        var batch = SourceBatch<DatabaseBackupOutcome>(cancellation: repository.cancellation)
        for settings in servers {
            let label = settings.globalsSource
            let result = batch.run(label) {
                let outcome = try DatabaseBackupJob.backupGlobals(settings: settings, repository: repository, tags: tags, time: time)
                try events(.finished(source: label, database: "globals", server: settings, outcome))
                return outcome
            }
            if case .failure(let error)? = result, !(error is InterruptedError) { try? events(.failed(source: label, error)) }
            if batch.interruption != nil { break }
        }
        return batch
    }
}
