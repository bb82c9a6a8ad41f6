import Foundation

/// Proves that a database snapshot restores: restores it into a scratch
/// database `stackbackup_drill_<db>_<random>` on the given server, compares
/// the copy with the manifest (every table exists, row counts, the SHA-256 of
/// each COPY part recomputed with the dumper's own COPY statement, every index
/// and constraint of post-data), runs amcheck on its btree indexes when the
/// extension is available, then drops the scratch database — on success, on
/// failure, and when the repository's cancellation stops it (a signal).
///
/// Damage (data that does not load or does not match) is reported in the
/// `DrillReport` (`passed == false`); `DrillError` means the drill could not
/// run. `run` blocks; one drill at a time per instance.
public final class RestoreDrill {
    /// Prefix of every scratch database a drill creates.
    public static let scratchPrefix = "stackbackup_drill_"

    let admin: PGConnectionConfig
    let repository: Repository
    let options: DrillOptions
    let progress: ((String) -> Void)?
    let cancellation = DrillCancellation()

    public init(connection: PGConnectionConfig, repository: Repository, options: DrillOptions = DrillOptions(),
                progress: ((String) -> Void)? = nil) {
        self.admin = connection
        self.repository = repository
        self.options = options
        self.progress = progress
    }

    /// Asks a running drill to stop as a signal would (from any thread).
    public func cancel(_ reason: Cancellation.Reason = .signal(SIGINT)) { cancellation.stop(reason) }

    /// The newest snapshot of every database in the repository, by database name.
    public static func latestDatabaseSnapshots(in repository: Repository) throws -> [SnapshotRecord] {
        let latest = try repository.latestSnapshots(kind: .postgres)
        return latest.keys.sorted().compactMap { latest[$0] }
    }

    /// A scratch name for `database`: `stackbackup_drill_<db>_<8 hex>`, at most
    /// 63 bytes, leaving the restorer room for its own suffix.
    static func scratchName(for database: String) -> String {
        var random = SystemRandomNumberGenerator()
        let suffix = String(random.next() & 0xFFFF_FFFF, radix: 16)
        let clean = String(database.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        return scratchPrefix + DatabaseRestorer.truncated(clean, toBytes: 63 - 21 - scratchPrefix.utf8.count - suffix.utf8.count - 1)
            + "_" + suffix
    }

    public func run(snapshot record: SnapshotRecord) throws -> DrillReport {
        let started = Date()
        guard record.snapshot.kind == .postgres else {
            throw DrillError(.invalidSnapshot, "snapshot \(record.id.short) is a \(record.snapshot.kind.rawValue) snapshot, not a database dump; give a database snapshot to drill")
        }
        let manifest = try repository.loadJSON(DatabaseManifest.self, id: record.snapshot.root)
        let scratch = RestoreDrill.scratchName(for: manifest.database)
        var report = DrillReport(database: manifest.database, snapshot: record.id.hex, scratchDatabase: scratch,
                                 tablesChecked: 0, tables: [], restoreError: nil, missingIndexes: [], missingConstraints: [],
                                 indexesChecked: 0, constraintsChecked: 0, amcheck: DrillAmcheck(status: "skipped"),
                                 notes: [], seconds: 0, passed: false)

        let token = repository.cancellation
        let stop = token.onCancel { [cancellation] in
            if let reason = token.reason { cancellation.stop(reason) }
        }
        defer { stop.remove() }

        let restorer = DatabaseRestorer(
            connection: admin, store: repository, manifest: manifest,
            options: RestoreOptions(target: scratch, jobs: options.jobs, noOwner: true, pgRestore: options.pgRestore),
            progress: progress.map { report in { p in report("restore \(p.phase)\(p.table.map { " \($0)" } ?? "")") } })
        // Whatever happens from here on, neither name survives the drill.
        defer { dropScratch([scratch, restorer.tempName]) }

        try cancellation.check()
        cancellation.attach(restorer: restorer)
        do {
            _ = try restorer.run()
        } catch let error as RestoreError {
            cancellation.attach(restorer: nil)
            if let interruption = cancellation.interruption { throw interruption }
            guard RestoreDrill.isDamage(error) else {
                throw DrillError(.cannotRun, "the restore drill of \(manifest.database) could not run: \(error.message)")
            }
            report.restoreError = error.message
            if let table = error.table {
                let name = table.components(separatedBy: " part ").first ?? table
                let expected = manifest.tables.first { $0.table.description == name }?.rows ?? 0
                report.tables.append(DrillTableResult(table: name, rowsExpected: expected, problem: "did not restore: \(error.message)"))
            }
            report.seconds = Date().timeIntervalSince(started)
            return report
        }
        cancellation.attach(restorer: nil)

        try cancellation.check()
        let connection = try PGConnection.connect(admin.withDatabase(scratch))
        cancellation.attach(connection: connection)
        defer { cancellation.attach(connection: nil) }
        do {
            try connection.execute("SET statement_timeout = 0; SET synchronize_seqscans = off")
            try connection.execute("SET client_encoding = \(connection.escapeLiteral(manifest.properties.encoding))")
            progress?("compare tables")
            report.tables = try compareTables(manifest, on: connection, notes: &report.notes)
            report.tablesChecked = report.tables.count
            try cancellation.check()
            progress?("compare indexes and constraints")
            let schema = try compareSchema(restorer.postDataScript ?? RestoreScript(Array<UInt8>()), on: connection)
            report.missingIndexes = schema.missingIndexes
            report.missingConstraints = schema.missingConstraints
            report.indexesChecked = schema.indexes
            report.constraintsChecked = schema.constraints
            try cancellation.check()
            if options.amcheck {
                progress?("amcheck")
                report.amcheck = runAmcheck(scratch)
            } else {
                report.amcheck = DrillAmcheck(status: "skipped", note: "amcheck not requested")
            }
            try cancellation.check()
        } catch {
            if let interruption = cancellation.interruption { throw interruption }
            throw error
        }
        report.passed = report.restoreError == nil && report.tables.allSatisfy { $0.problem == nil }
            && report.missingIndexes.isEmpty && report.missingConstraints.isEmpty && report.amcheck.corrupt.isEmpty
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Whether a failed restore means the snapshot's content is bad (the drill
    /// failed) rather than the server being unusable (the drill could not run).
    /// Only bytes that do not match their ids (or data that disagrees with
    /// the manifest) are damage; a statement PostgreSQL rejected is an error.
    static func isDamage(_ error: RestoreError) -> Bool {
        error.code == .damaged
    }

    /// Drops the scratch databases (both the drill's name and the restorer's
    /// temporary one); never throws: a drill must not fail on its cleanup.
    func dropScratch(_ names: [String]) {
        guard let connection = try? PGConnection.connect(admin, retries: 1) else { return }
        _ = try? connection.execute("SET client_min_messages = warning")  // no "does not exist, skipping" notices
        for name in names {
            _ = try? connection.execute("DROP DATABASE IF EXISTS \(connection.escapeIdentifier(name)) WITH (FORCE)")
        }
    }

    private func runAmcheck(_ database: String) -> DrillAmcheck {
        do {
            let result = try Maintenance(connection: admin).check(database: database, installAmcheck: true)
            if result.amcheckMissing {
                return DrillAmcheck(status: "skipped", note: result.message ?? "amcheck is not available")
            }
            var drill = DrillAmcheck(status: "checked", indexesChecked: result.checked, corrupt: result.corrupt.map(\.description))
            if !result.failures.isEmpty {
                drill.note = "\(result.failures.count) index check(s) could not run: " + result.failures.map { "\($0)" }.joined(separator: "; ")
            }
            return drill
        } catch {
            return DrillAmcheck(status: "skipped", note: "amcheck could not run: \(error)")
        }
    }
}
