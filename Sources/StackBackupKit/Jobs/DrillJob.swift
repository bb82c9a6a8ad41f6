import Foundation

/// What `verify --restore-drill DB|all` asks for.
public struct RestoreDrillRequest: Sendable {
    /// A database or source name, or `all` (the latest snapshot of every database).
    public var target: String
    /// An id prefix or SOURCE:latest instead of the latest (not with `all`).
    public var snapshot: String?
    /// The configured server to drill on and to look the name up on.
    public var server: String?
    /// Another server (conninfo or host[:port][/user]) to drill on.
    public var drillServer: String?

    public init(target: String, snapshot: String? = nil, server: String? = nil, drillServer: String? = nil) {
        self.target = target
        self.snapshot = snapshot
        self.server = server
        self.drillServer = drillServer
    }
}

/// The drills of one `verify --restore-drill`.
public struct RestoreDrillBatch: Sendable {
    public var reports: [DrillReport] = []
    /// Source → why its drill could not run (or its manifest is damaged).
    public var errors: [String: String] = [:]
    /// Every drill that ran passed and no manifest was damaged.
    public var passed = true

    /// passed (0), damage found (13), or some drill could not run (1).
    public var outcome: DrillOutcome { !passed ? .damaged : (errors.isEmpty ? .passed : .couldNotRun) }
}

public enum DrillOutcome: Sendable, Equatable { case passed, damaged, couldNotRun }

/// `verify --restore-drill` and `--volume-drill`, under a shared lock.
public enum DrillJob {
    public enum Event {
        /// A restore drill begins on the server named by `on`.
        case started(SnapshotRecord, on: String)
        case progress(SnapshotRecord, phase: String)
        case finished(DrillReport)
        case failed(source: String, any Error)
    }

    /// Drills each snapshot on its own server (or `server`, or `drillServer`).
    /// A lone drill's error is thrown; with several, a failing one does not stop the others.
    public static func restoreDrills(_ request: RestoreDrillRequest, repository: Repository, config: () throws -> StackConfig,
                                     events: @escaping (Event) -> Void) throws -> RestoreDrillBatch {
        let lock = try repository.lock(exclusive: false, command: "verify")
        defer { try? lock.release() }
        let config = try config()
        let records = try snapshots(request, repository: repository, config: config)
        var batch = SourceBatch<DrillReport>(cancellation: repository.cancellation)
        for record in records {
            let result = batch.run(record.snapshot.source) {
                let settings = try config.restoreServer(for: record.snapshot, server: request.server).server
                var connection = settings.connectionConfig()
                if let drillServer = request.drillServer { connection = try connection.applying(server: drillServer) }
                events(.started(record, on: connection.withDatabase("postgres").displayName))
                let drill = RestoreDrill(connection: connection, repository: repository,
                                         options: DrillOptions(jobs: settings.jobs, pgRestore: settings.pgRestore),
                                         progress: { phase in events(.progress(record, phase: phase)) })
                let report = try drill.run(snapshot: record)
                events(.finished(report))
                return report
            }
            if case .failure(let error)? = result {
                if records.count == 1 || error is InterruptedError { throw error }
                events(.failed(source: record.snapshot.source, error))
            }
        }
        if let stop = batch.interruption { throw stop }
        var drills = RestoreDrillBatch()
        drills.reports = batch.results.map(\.result)
        for failure in batch.failures { drills.errors[failure.source] = "\(failure.error)" }
        // An IntegrityError here means the manifest itself is damaged.
        let damagedManifests = batch.failures.filter { $0.error is IntegrityError }.count
        drills.passed = drills.reports.allSatisfy(\.passed) && damagedManifests == 0
        return drills
    }

    private static func snapshots(_ request: RestoreDrillRequest, repository: Repository, config: StackConfig) throws -> [SnapshotRecord] {
        if request.target == "all" {
            let records = try RestoreDrill.latestDatabaseSnapshots(in: repository)
            if records.isEmpty { throw DrillError(.invalidSnapshot, "there are no database snapshots in the repository to drill; run `stackbackup backup db` first") }
            return records
        }
        let source = try config.snapshotSource(for: request.target, server: request.server)
        if let snapshot = request.snapshot { return [try repository.resolveSnapshot(snapshot, source: source)] }
        guard let latest = try repository.latestSnapshot(source: source) else {
            throw DrillError(.invalidSnapshot, "there is no snapshot of database \(source); list them with `stackbackup snapshots`")
        }
        return [latest]
    }

    /// Restores (a sample of) a volume snapshot's files to a temporary folder
    /// and compares them; `started` is told which snapshot before it begins.
    public static func volumeDrill(_ name: String, snapshot: String?, sample: Int?, repository: Repository,
                                   started: (SnapshotRecord) -> Void) throws -> VolumeDrillReport {
        let lock = try repository.lock(exclusive: false, command: "verify")
        defer { try? lock.release() }
        let record: SnapshotRecord
        if let snapshot {
            record = try repository.resolveSnapshot(snapshot, source: name)
        } else {
            guard let latest = try repository.latestSnapshot(source: name) else {
                throw DrillError(.invalidSnapshot, "there is no snapshot of volume \(name); list them with `stackbackup snapshots`")
            }
            record = latest
        }
        started(record)
        return try VolumeDrill(repository: repository, options: VolumeDrillOptions(sample: sample)).run(snapshot: record)
    }
}
