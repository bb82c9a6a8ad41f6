import Foundation

/// The result of `db check`: amcheck's `bt_index_check` on every btree index.
public struct AmcheckReport: Codable, Sendable, Equatable {
    public var database: String
    /// Indexes checked without finding anything.
    public var checked: Int
    /// Indexes amcheck found inconsistent.
    public var corrupt: [CorruptIndex]
    /// Indexes not checked: invalid ones (amcheck refuses them; reindex them first)
    /// and those the role may not check.
    public var skipped: [String]
    /// Indexes whose check could not run (lock not obtained, timeout).
    public var failures: [MaintenanceError]
    /// amcheck is not installed in the database and was not to be installed.
    public var amcheckMissing: Bool
    /// Why nothing was checked, when `amcheckMissing`.
    public var message: String?
    /// This check ran CREATE EXTENSION amcheck in the database (`installAmcheck`).
    public var installedAmcheck = false
    public var seconds: Double

    /// Every index was checked and none is corrupt.
    public var isHealthy: Bool { !amcheckMissing && corrupt.isEmpty && failures.isEmpty }
}

public struct CorruptIndex: Codable, Sendable, Equatable, CustomStringConvertible {
    /// "schema.index".
    public var index: String
    public var table: String
    /// amcheck's message ("item order invariant violated for index …").
    public var message: String

    public var description: String {
        "index \(index) on \(table) is corrupt (\(message)); rebuild it with REINDEX INDEX CONCURRENTLY \(index) (`stackbackup db reindex`), and if it recurs check the disk and whether the OS collation library changed"
    }
}

extension Maintenance {
    /// Runs `bt_index_check(index, heapallindexed)` on every valid btree index
    /// of the user schemas (tables filtered by `options.tablePatterns`). Takes
    /// only ACCESS SHARE locks. When amcheck is not installed: with
    /// `installAmcheck` runs CREATE EXTENSION amcheck (needs superuser: amcheck
    /// is not a trusted extension), else returns `amcheckMissing` without checking.
    /// Throws `.permissionDenied` when the role may not call amcheck.
    public func check(database: String, heapAllIndexed: Bool = false, installAmcheck: Bool = false) throws -> AmcheckReport {
        try stoppable(database) { try checkIndexes(database: database, heapAllIndexed: heapAllIndexed, installAmcheck: installAmcheck) }
    }

    private func checkIndexes(database: String, heapAllIndexed: Bool, installAmcheck: Bool) throws -> AmcheckReport {
        let started = Date()
        let (session, _) = try open(database)
        let stop = cancellation?.onCancel { session.cancel() }
        defer { stop?.remove() }
        var report = AmcheckReport(database: database, checked: 0, corrupt: [], skipped: [], failures: [],
                                   amcheckMissing: false, message: nil, seconds: 0)
        guard let (schema, installed) = try amcheckSchema(session, database: database, install: installAmcheck) else {
            report.amcheckMissing = true
            report.message = "amcheck is not installed in \(database); rerun with --install-amcheck (needs a superuser: CREATE EXTENSION amcheck)"
            report.seconds = Date().timeIntervalSince(started)
            return report
        }
        report.installedAmcheck = installed
        let indexes = try session.execute("""
            SELECT ci.oid, n.nspname, ci.relname, tn.nspname, c.relname, i.indisvalid AND i.indisready
            FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ci.relnamespace
            JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = c.relnamespace
            JOIN pg_am am ON am.oid = ci.relam
            WHERE am.amname = 'btree' AND ci.relpersistence <> 't'
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
            ORDER BY n.nspname, ci.relname
            """)
        let function = "\(session.escapeIdentifier(schema)).bt_index_check"
        var targets: [(oid: String, name: String, table: String, valid: Bool)] = []
        for row in 0..<indexes.rowCount {
            try checkCancelled()
            guard let oid = indexes.string(row, 0), let indexSchema = indexes.string(row, 1),
                  let indexName = indexes.string(row, 2), let tableSchema = indexes.string(row, 3),
                  let tableName = indexes.string(row, 4), options.matches(schema: tableSchema, name: tableName)
            else { continue }
            targets.append((oid, "\(indexSchema).\(indexName)", "\(tableSchema).\(tableName)",
                            indexes.bool(row, 5) == true))
        }
        for (offset, target) in targets.enumerated() {
            let (oid, name, table) = (target.oid, target.name, target.table)
            let base = MaintenanceProgress(operation: .check, database: database, object: name, position: offset + 1,
                                           count: targets.count, event: .started)
            guard target.valid else {
                report.skipped.append(name)
                self.report(base, .skipped)
                continue
            }
            self.report(base, .started)
            do {
                try session.query("SELECT \(function)($1::oid::regclass, $2::bool)",
                                  [oid, heapAllIndexed ? "true" : "false"])
                report.checked += 1
                self.report(base, .finished)
            } catch let error as PGError where error.sqlState == "XX002" || error.sqlState == "XX001" {
                report.corrupt.append(CorruptIndex(index: name, table: table, message: error.message))
                self.report(base, .failed)
            } catch let error as PGError where error.sqlState == "42501" {
                throw MaintenanceError(.permissionDenied,
                                       "permission denied to check the indexes of \(database): \(MaintenanceConnection.privilegeHint("check"))")
            } catch {
                let failure = MaintenanceConnection.perObjectError(error, object: name, action: "check", options: options)
                    ?? MaintenanceError(.server, "checking index \(name) failed: \((error as? PGError)?.message ?? "\(error)")",
                                        object: name)
                report.failures.append(failure)
                self.report(base, .failed)
            }
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// The schema amcheck is installed in; installs it first when asked.
    /// nil when it is missing and not to be installed.
    /// amcheck's schema, and whether it was installed just now; nil when it is missing and not to be installed.
    func amcheckSchema(_ session: PGConnection, database: String, install: Bool) throws -> (schema: String, installed: Bool)? {
        let lookup = """
            SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = 'amcheck'
            """
        if let schema = try session.execute(lookup).string(0, 0) { return (schema, false) }
        guard install else { return nil }
        do {
            try session.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        } catch let error as PGError where error.sqlState == "42501" {
            throw MaintenanceError(.permissionDenied,
                                   "cannot install amcheck in \(database): CREATE EXTENSION amcheck needs a superuser (amcheck is not a trusted extension)")
        } catch let error as PGError where error.sqlState == "58P01" || error.sqlState == "0A000" {
            throw MaintenanceError(.amcheckUnavailable,
                                   "amcheck is not available on the PostgreSQL server (\(error.message)); install the server's contrib package (postgresql-contrib)")
        }
        return try session.execute(lookup).string(0, 0).map { ($0, true) }
    }
}
