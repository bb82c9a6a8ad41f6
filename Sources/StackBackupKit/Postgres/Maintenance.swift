import Foundation

/// Database maintenance behind `stackbackup db vacuum|analyze|reindex|check`.
///
/// Works table by table (index by index for `reindex(invalidOnly:)` and
/// `check`) on one connection, so each statement holds its locks briefly and
/// one busy table does not stop the rest: every statement runs under
/// `lock_timeout` (and `statement_timeout` when set); a table whose lock is not
/// obtained in time is recorded in `MaintenanceSummary.failures` with a
/// "retry later" message and the run moves on. Whole-database problems (unknown
/// database, no privilege on any selected table, a broken connection) throw.
///
/// Blocking; run it on a dedicated thread. While a statement runs, a second
/// connection polls the `pg_stat_progress_*` views every
/// `options.progressInterval` and reports through `progress` (only when a
/// `progress` callback is given). One instance runs one operation at a time.
public final class Maintenance {
    public let connection: PGConnectionConfig
    public let options: MaintenanceOptions
    let progress: ((MaintenanceProgress) -> Void)?
    /// The job's stop token: cancels the running statement (PostgreSQL rolls it
    /// back), no further table is started, and the operation throws `InterruptedError`.
    public var cancellation: Cancellation?

    public init(connection: PGConnectionConfig, options: MaintenanceOptions = MaintenanceOptions(),
                progress: ((MaintenanceProgress) -> Void)? = nil) {
        self.connection = connection
        self.options = options
        self.progress = progress
    }

    /// VACUUM every selected table; with `analyze`, VACUUM (ANALYZE).
    /// `full` (VACUUM FULL: rewrites the table under an ACCESS EXCLUSIVE lock,
    /// blocking the apps while it runs) throws `.notConfirmed` unless `confirmed`.
    /// Space reclaimed is the total relation size before minus after.
    public func vacuum(database: String, analyze: Bool = false, full: Bool = false,
                       confirmed: Bool = false) throws -> MaintenanceSummary {
        if full && !confirmed {
            throw MaintenanceError(.notConfirmed,
                                   "VACUUM FULL takes an exclusive lock on each table and blocks the applications while it rewrites it; confirm with --yes")
        }
        var flags: [String] = []
        if full { flags.append("FULL") }
        if analyze { flags.append("ANALYZE") }
        let prefix = flags.isEmpty ? "VACUUM " : "VACUUM (\(flags.joined(separator: ", "))) "
        return try stoppable(database) {
            try runPerTable(full ? .vacuumFull : .vacuum, database: database, requireOwner: false) { table in prefix + table }
        }
    }

    /// ANALYZE every selected table.
    public func analyze(database: String) throws -> MaintenanceSummary {
        try stoppable(database) { try runPerTable(.analyze, database: database, requireOwner: false) { "ANALYZE " + $0 } }
    }

    /// REINDEX every selected table (CONCURRENTLY: without blocking writes, slower).
    /// With `invalidOnly`, only the invalid indexes (left by a failed CREATE
    /// INDEX CONCURRENTLY), each with REINDEX INDEX; on a database without
    /// invalid indexes this does nothing.
    public func reindex(database: String, concurrently: Bool = true, invalidOnly: Bool = false) throws -> MaintenanceSummary {
        let keyword = concurrently ? "REINDEX %@ CONCURRENTLY " : "REINDEX %@ "
        return try stoppable(database) {
            if invalidOnly {
                return try runPerIndex(database: database) { index in
                    keyword.replacingOccurrences(of: "%@", with: "INDEX") + index
                }
            }
            return try runPerTable(.reindex, database: database, requireOwner: true) { table in
                keyword.replacingOccurrences(of: "%@", with: "TABLE") + table
            }
        }
    }

    // MARK: - Shared machinery

    struct Target {
        var oid: String
        var name: String
        var quoted: String
        var allowed: Bool
    }

    /// Runs one operation; once cancelled, whatever it throws becomes the interruption.
    func stoppable<T>(_ database: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            guard let reason = cancellation?.reason else { throw error }
            throw InterruptedError(reason: reason, detail: "maintenance of \(database) stopped; the statement that was running was cancelled and rolled back, the tables before it are done")
        }
    }

    /// Throws once cancelled: checked before each table or index.
    func checkCancelled() throws {
        try cancellation?.check()
    }

    /// Opens the database with timeouts set; returns it with our backend pid.
    func open(_ database: String) throws -> (PGConnection, String) {
        let session = try MaintenanceConnection.open(connection, database: database)
        try MaintenanceConnection.applyTimeouts(session, options: options)
        let pid = try session.execute("SELECT pg_backend_pid()").string(0, 0) ?? "0"
        return (session, pid)
    }

    /// The SQL condition under which the session's role may maintain relation `c`.
    static func privilegeCondition(serverVersion: Int, requireOwner: Bool) -> String {
        if serverVersion >= 170_000 { return "has_table_privilege(c.oid, 'MAINTAIN')" }
        if requireOwner { return "pg_has_role(c.relowner, 'USAGE')" }
        return """
            (pg_has_role(c.relowner, 'USAGE')
             OR (SELECT pg_has_role(d.datdba, 'USAGE') FROM pg_database d WHERE d.datname = current_database()))
            """
    }

    func tables(_ session: PGConnection, requireOwner: Bool) throws -> [Target] {
        let result = try session.execute("""
            SELECT c.oid, n.nspname, c.relname, \(Self.privilegeCondition(serverVersion: session.serverVersion, requireOwner: requireOwner))
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't'
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
            ORDER BY n.nspname, c.relname
            """)
        return (0..<result.rowCount).compactMap { row in
            guard let oid = result.string(row, 0), let schema = result.string(row, 1), let name = result.string(row, 2),
                  options.matches(schema: schema, name: name) else { return nil }
            return Target(oid: oid, name: "\(schema).\(name)",
                          quoted: "\(session.escapeIdentifier(schema)).\(session.escapeIdentifier(name))",
                          allowed: result.bool(row, 3) ?? false)
        }
    }

    func runPerTable(_ operation: MaintenanceOperation, database: String, requireOwner: Bool,
                     statement: (String) -> String) throws -> MaintenanceSummary {
        let started = Date()
        let (session, pid) = try open(database)
        let stop = cancellation?.onCancel { session.cancel() }
        defer { stop?.remove() }
        let targets = try tables(session, requireOwner: requireOwner)
        try checkSelection(targets, operation: operation, database: database)
        var summary = MaintenanceSummary(operation: operation, database: database, tables: [], skipped: [],
                                         failures: [], seconds: 0)
        let poller = progress.map { MaintenanceProgressPoller(config: connection.withDatabase(database), pid: pid,
                                                              operation: operation, interval: options.progressInterval,
                                                              report: $0) }
        defer { poller?.stop() }
        for (offset, target) in targets.enumerated() {
            try checkCancelled()
            let event = MaintenanceProgress(operation: operation, database: database, object: target.name,
                                            position: offset + 1, count: targets.count, event: .started)
            guard target.allowed else {
                summary.skipped.append(target.name)
                report(event, .skipped)
                continue
            }
            report(event, .started)
            let tableStarted = Date()
            do {
                let before = try measure(session, oid: target.oid)
                poller?.watch(event)
                defer { poller?.idle() }
                try session.execute(statement(target.quoted))
                let after = try measure(session, oid: target.oid)
                summary.tables.append(MaintenanceTableResult(
                    name: target.name, bytesBefore: before.bytes, bytesAfter: after.bytes,
                    deadTuplesBefore: before.dead, deadTuplesAfter: after.dead,
                    seconds: Date().timeIntervalSince(tableStarted)))
                report(event, .finished)
            } catch {
                guard let failure = MaintenanceConnection.perObjectError(
                    error, object: target.name, action: operation.rawValue, options: options) else { throw error }
                summary.failures.append(failure)
                report(event, .failed)
            }
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// REINDEX INDEX of each invalid index of the selected tables.
    func runPerIndex(database: String, statement: (String) -> String) throws -> MaintenanceSummary {
        let started = Date()
        let (session, pid) = try open(database)
        let stop = cancellation?.onCancel { session.cancel() }
        defer { stop?.remove() }
        let condition = Self.privilegeCondition(serverVersion: session.serverVersion, requireOwner: true)
        let result = try session.execute("""
            SELECT ci.oid, n.nspname, ci.relname, tn.nspname, c.relname, \(condition)
            FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ci.relnamespace
            JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = c.relnamespace
            WHERE NOT i.indisvalid AND ci.relpersistence <> 't'
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
            ORDER BY n.nspname, ci.relname
            """)
        var summary = MaintenanceSummary(operation: .reindex, database: database, tables: [], skipped: [],
                                         failures: [], seconds: 0)
        var targets: [Target] = []
        for row in 0..<result.rowCount {
            guard let oid = result.string(row, 0), let schema = result.string(row, 1), let name = result.string(row, 2),
                  options.matches(schema: result.string(row, 3) ?? "", name: result.string(row, 4) ?? "")
            else { continue }
            targets.append(Target(oid: oid, name: "\(schema).\(name)",
                                  quoted: "\(session.escapeIdentifier(schema)).\(session.escapeIdentifier(name))",
                                  allowed: result.bool(row, 5) ?? false))
        }
        let poller = progress.map { MaintenanceProgressPoller(config: connection.withDatabase(database), pid: pid,
                                                              operation: .reindex, interval: options.progressInterval,
                                                              report: $0) }
        defer { poller?.stop() }
        for (offset, target) in targets.enumerated() {
            try checkCancelled()
            let event = MaintenanceProgress(operation: .reindex, database: database, object: target.name,
                                            position: offset + 1, count: targets.count, event: .started)
            guard target.allowed else {
                summary.skipped.append(target.name)
                report(event, .skipped)
                continue
            }
            report(event, .started)
            let indexStarted = Date()
            do {
                let before = try session.query("SELECT pg_relation_size($1::oid)", [target.oid]).int(0, 0) ?? 0
                poller?.watch(event)
                defer { poller?.idle() }
                try session.execute(statement(target.quoted))
                // REINDEX CONCURRENTLY swaps in a new relation under the same name.
                let after = try session.query("SELECT pg_relation_size($1::regclass)", [target.quoted]).int(0, 0) ?? 0
                summary.tables.append(MaintenanceTableResult(name: target.name, bytesBefore: before, bytesAfter: after,
                                                             deadTuplesBefore: nil, deadTuplesAfter: nil,
                                                             seconds: Date().timeIntervalSince(indexStarted)))
                report(event, .finished)
            } catch {
                guard let failure = MaintenanceConnection.perObjectError(
                    error, object: target.name, action: "reindex", options: options) else { throw error }
                summary.failures.append(failure)
                report(event, .failed)
            }
        }
        if !targets.isEmpty && targets.allSatisfy({ !$0.allowed }) {
            throw MaintenanceError(.permissionDenied,
                                   "permission denied to reindex the invalid indexes of \(database): \(MaintenanceConnection.privilegeHint("reindex"))")
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    func checkSelection(_ targets: [Target], operation: MaintenanceOperation, database: String) throws {
        if targets.isEmpty && !options.tablePatterns.isEmpty {
            throw MaintenanceError(.noMatchingTables,
                                   "no table of \(database) matches \(options.tablePatterns.joined(separator: ", ")); patterns match \"schema.table\" or the table name, with * and ?")
        }
        if !targets.isEmpty && targets.allSatisfy({ !$0.allowed }) {
            throw MaintenanceError(.permissionDenied,
                                   "permission denied to \(operation.rawValue) the tables of \(database): \(MaintenanceConnection.privilegeHint(operation.rawValue))")
        }
    }

    /// Total relation size and dead tuples of one table.
    func measure(_ session: PGConnection, oid: String) throws -> (bytes: Int64, dead: Int64?) {
        let result = try session.query(
            "SELECT pg_total_relation_size($1::oid), (SELECT n_dead_tup FROM pg_stat_all_tables WHERE relid = $1::oid)",
            [oid])
        return (result.int(0, 0) ?? 0, result.int(0, 1))
    }

    func report(_ base: MaintenanceProgress, _ event: MaintenanceProgress.Event) {
        guard let progress else { return }
        var copy = base
        copy.event = event
        progress(copy)
    }
}
