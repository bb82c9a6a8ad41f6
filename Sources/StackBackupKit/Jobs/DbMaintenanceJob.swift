import Foundation

/// `db vacuum|analyze|reindex|check`: one operation on each database, server
/// by server, through one `SourceBatch`. Unlike a backup, the first database
/// that fails ends the command (its error is thrown): maintenance is run by
/// hand and a broken connection or privilege applies to the rest as well.
public enum DbMaintenanceJob {
    /// Runs `operation` on every database of `groups`; `finished` is told each
    /// result as it comes. A result `isPartial` (tables skipped) makes the batch partial.
    public static func run<Report>(_ groups: [(server: PostgresSettings, targets: [DatabaseTarget])],
                                   options: MaintenanceOptions, cancellation: Cancellation,
                                   progress: ((MaintenanceProgress) -> Void)? = nil,
                                   isPartial: @escaping (Report) -> Bool,
                                   operation: (Maintenance, String) throws -> Report,
                                   finished: (DatabaseTarget, Report) -> Void) throws -> SourceBatch<Report> {
        var batch = SourceBatch<Report>(cancellation: cancellation, isPartial: isPartial)
        for (server, databases) in groups {
            let maintenance = Maintenance(connection: server.connectionConfig(), options: options, progress: progress)
            maintenance.cancellation = cancellation
            for database in databases {
                if case .failure(let error)? = batch.run(database.source, { try operation(maintenance, database.database) }) { throw error }
                if let stop = batch.interruption { throw stop }
                if let report = batch.results.last?.result { finished(database, report) }
            }
        }
        return batch
    }

    /// `db vacuum|analyze|reindex`: partial when a table was skipped or failed.
    public static func run(_ groups: [(server: PostgresSettings, targets: [DatabaseTarget])],
                           options: MaintenanceOptions, cancellation: Cancellation,
                           progress: ((MaintenanceProgress) -> Void)? = nil,
                           operation: (Maintenance, String) throws -> MaintenanceSummary,
                           finished: (DatabaseTarget, MaintenanceSummary) -> Void) throws -> SourceBatch<MaintenanceSummary> {
        try run(groups, options: options, cancellation: cancellation, progress: progress, isPartial: { !$0.isComplete },
                operation: operation, finished: finished)
    }

    /// `db check`: damage when an index is corrupt; else partial when a check
    /// failed or amcheck is missing.
    public static func checkOutcome(_ batch: SourceBatch<AmcheckReport>) -> CheckOutcome {
        if batch.results.contains(where: { !$0.result.corrupt.isEmpty }) { return .damaged }
        return batch.outcome() == .ok ? .ok : .partial
    }

    public enum CheckOutcome: Sendable, Equatable { case ok, partial, damaged }

    /// A check is incomplete when an index could not be checked or amcheck is missing.
    public static func checkIsPartial(_ report: AmcheckReport) -> Bool {
        !report.failures.isEmpty || report.amcheckMissing
    }
}
