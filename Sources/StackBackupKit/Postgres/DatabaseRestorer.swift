import Foundation

/// Restores one database from a `DatabaseManifest`.
///
/// Everything goes into a new scratch database `<target>__restoring_<random>`
/// created with the manifest's database-level properties; only when every step
/// succeeded is it renamed to the target (an existing target with data is kept
/// as `<target>_before_<yyyymmddHHMMSS>`, or dropped with `dropOld`). Any failure
/// or interruption drops the scratch database and leaves the target untouched.
///
/// Steps: preflight (nothing changed: server version, target, roles,
/// extensions), create, pre-data, parallel COPY FROM STDIN (largest parts
/// first), sequences, large objects, post-data (index builds in parallel),
/// materialized view refresh, ANALYZE, database settings and grants, swap.
///
/// `run()` blocks; `cancel()` may be called from any thread.
public final class DatabaseRestorer: @unchecked Sendable {
    let admin: PGConnectionConfig
    let store: BlobLoader
    let manifest: DatabaseManifest
    let options: RestoreOptions
    let progress: ((RestoreProgress) -> Void)?
    let cancellation = RestoreCancellation()
    /// The scratch database's name, fixed for this restorer.
    public let tempName: String
    /// The post-data script of the last `run()` (what pg_restore ran, or the
    /// version 1 SQL), for a drill's check that every index and constraint exists.
    private(set) var postDataScript: RestoreScript?

    public init(connection: PGConnectionConfig, store: BlobLoader, manifest: DatabaseManifest,
                options: RestoreOptions, progress: ((RestoreProgress) -> Void)? = nil) {
        self.admin = connection
        self.store = store
        self.manifest = manifest
        self.options = options
        self.progress = progress
        var random = SystemRandomNumberGenerator()
        let suffix = String(random.next() & 0xFFFF_FFFF, radix: 16)
        self.tempName = DatabaseRestorer.truncated(options.target, toBytes: 63 - 12 - suffix.utf8.count) + "__restoring_" + suffix
    }

    /// Asks a running restore to stop: statements are cancelled, the scratch
    /// database dropped, and `run()` throws an `.interrupted` error.
    public func cancel() {
        cancellation.cancel(reason: "cancelled")
    }

    // MARK: - Plan

    /// Checks everything a restore needs (changing nothing) and lists its steps.
    public func plan() throws -> DatabaseRestorePlan {
        let connection = try connectAdmin()
        let checked = try preflight(connection, createRoles: false)
        return makePlan(checked)
    }

    func makePlan(_ checked: Preflight) -> DatabaseRestorePlan {
        let target = options.target
        var steps: [String] = []
        if !checked.rolesToCreate.isEmpty {
            steps.append("create roles \(checked.rolesToCreate.joined(separator: ", ")) from the globals snapshot")
        }
        steps.append("create database \(tempName) (\(manifest.properties.encoding), \(localeSummary))")
        let tool = checked.archive.map { " with \($0.tool.command.joined(separator: " "))" } ?? ""
        steps.append("run pre-data\(tool) (\(checked.preData.statements.count) statements)")
        let bytes = checked.selected.reduce(Int64(0)) { $0 + $1.bytes }
        let rows = checked.selected.reduce(Int64(0)) { $0 + $1.rows }
        steps.append("load \(checked.selected.count) of \(manifest.tables.count) tables (\(rows) rows, \(bytes) bytes) on \(max(1, options.jobs)) connections")
        if !manifest.sequences.isEmpty { steps.append("set \(manifest.sequences.count) sequences") }
        if !manifest.largeObjects.isEmpty { steps.append("restore \(manifest.largeObjects.count) large objects") }
        let builds = checked.postData.statements.filter { if case .indexBuild = $0.kind { return true } else { return false } }.count
        if let archive = checked.archive {
            let jobs = archive.canRunInParallel ? max(1, options.jobs) : 1
            steps.append("run post-data\(tool) on \(jobs) connection(s) (\(checked.postData.statements.count) statements, \(builds) index builds; materialized views populated at dump time are refreshed)")
        } else {
            steps.append("run post-data (\(checked.postData.statements.count) statements, \(builds) index builds in parallel)")
            if !manifest.materializedViews.isEmpty { steps.append("refresh \(manifest.materializedViews.count) materialized views") }
        }
        if !checked.skipRoles.isEmpty {
            steps.append("skip grants to the missing roles \(checked.skipRoles.sorted().joined(separator: ", "))")
        }
        steps.append("analyze")
        steps.append("apply database owner, comment, grants, connection limit and settings")
        var oldName: String?
        if !checked.targetExists {
            steps.append("rename \(tempName) to \(target)")
        } else if !checked.targetHasData {
            steps.append("drop the empty database \(target), rename \(tempName) to \(target)")
        } else {
            let old = oldDatabaseName()
            oldName = old
            steps.append("end the sessions on \(target), rename it to \(old), rename \(tempName) to \(target)")
            if options.dropOld { steps.append("drop \(old)") }
        }
        return DatabaseRestorePlan(steps: steps, target: target, tempName: tempName, oldName: oldName,
                           tables: checked.selected.count, bytes: bytes)
    }

    private var localeSummary: String {
        let p = manifest.properties
        if p.localeProvider == "i" || p.localeProvider == "icu" { return "ICU \(p.iculocale ?? "")" }
        return p.collate
    }

    // MARK: - Run

    /// Restores the database. With `dryRun`, only checks (as `plan()`) and returns zero counts.
    public func run() throws -> DatabaseRestoreResult {
        let started = Date()
        if options.dryRun {
            _ = try plan()
            return DatabaseRestoreResult(database: options.target, tables: 0, rows: 0, bytes: 0, keptOldAs: nil, seconds: 0)
        }
        // The job's stop (a signal) cancels the running statements and pg_restore.
        let stop = options.cancellation?.onCancel { [cancellation] in cancellation.cancel(reason: "stopped") }
        defer { stop?.remove() }

        let connection = try connectAdmin()
        report("preflight")
        let checked = try preflight(connection, createRoles: true)
        postDataScript = checked.postData
        var load = LoadTotals()
        var created = false
        do {
            try step("create database") {
                let sql = RestoreDatabaseSQL(name: tempName, properties: manifest.properties,
                                             quote: connection.escapeIdentifier, literal: connection.escapeLiteral)
                try connection.execute(sql.create(serverVersion: connection.serverVersion))
                created = true
                for statement in sql.ownerAndComment(noOwner: options.noOwner) { try connection.execute(statement) }
            }
            let scratch = try connectScratch()
            cancellation.register(scratch)
            defer { cancellation.unregister(scratch) }
            report("pre-data")
            if let archive = checked.archive {
                try step("pre-data") { try restoreArchive(archive, section: "pre-data", script: checked.preData, on: scratch, skipRoles: checked.skipRoles) }
            } else {
                try runScript(checked.preData, on: scratch, step: "pre-data", skipRoles: checked.skipRoles)
            }
            try checkExtensionVersionsInstalled(checked.selected, on: scratch)
            try step("not-null constraint names") { try restoreNotNullNames(on: scratch) }
            report("data", tablesTotal: checked.selected.count)
            load = try step("table data") { try loadTables(checked.selected) }
            report("sequences")
            try step("sequences") { try restoreSequences(on: scratch) }
            report("large objects")
            try step("large objects") { try restoreLargeObjects(on: scratch, skipRoles: checked.skipRoles) }
            report("post-data")
            if let archive = checked.archive {
                // pg_restore also refreshes the materialized views that were populated, in dependency order.
                try step("post-data") { try restoreArchive(archive, section: "post-data", script: checked.postData, on: scratch, skipRoles: checked.skipRoles) }
            } else {
                try step("post-data") { try runPostData(checked.postData, on: scratch, skipRoles: checked.skipRoles) }
            }
            if checked.archive == nil {
                // Version 1 snapshots did not record which views were populated: all are.
                report("refresh")
                try step("materialized views") {
                    for view in manifest.materializedViews {
                        try checkCancelled()
                        try scratch.execute("REFRESH MATERIALIZED VIEW \(qualified(view, scratch))")
                    }
                }
            }
            report("analyze")
            try step("analyze") { try analyze() }
            report("finish")
            try step("database settings") {
                let sql = RestoreDatabaseSQL(name: tempName, properties: manifest.properties,
                                             quote: connection.escapeIdentifier, literal: connection.escapeLiteral)
                for statement in sql.finishing(noOwner: options.noOwner, skipRoles: checked.skipRoles) {
                    try connection.execute(statement)
                }
            }
            try checkCancelled()
        } catch {
            throw cleanUp(after: error, created: created)
        }
        report("swap")
        let kept: String?
        do {
            kept = try swap(connection)
        } catch {
            throw cleanUp(after: error, created: true)
        }
        var keptOldAs = kept
        if let old = kept, options.dropOld {
            do {
                try connection.execute("DROP DATABASE \(connection.escapeIdentifier(old)) WITH (FORCE)")
                keptOldAs = nil
            } catch {
                throw RestoreError(step: "drop old", message: "restore of \(options.target) completed, but dropping the old database \(old) failed: \(error); drop it by hand")
            }
        }
        return DatabaseRestoreResult(database: options.target, tables: checked.selected.count, rows: load.rows,
                             bytes: load.bytes, keptOldAs: keptOldAs, seconds: Date().timeIntervalSince(started))
    }

    // MARK: - Helpers

    struct LoadTotals { var rows: Int64 = 0; var bytes: Int64 = 0 }

    /// A failure inside a step, with the step and table it belongs to.
    struct StepFailure: Error {
        var step: String
        var table: String?
        var underlying: Error
    }

    func step<T>(_ name: String, table: String? = nil, _ body: () throws -> T) throws -> T {
        do {
            try checkCancelled()
            return try body()
        } catch let failure as StepFailure {
            throw failure
        } catch {
            throw StepFailure(step: name, table: table, underlying: error)
        }
    }

    func checkCancelled() throws {
        if cancellation.isCancelled { throw PGError(.cancelled, message: cancellation.cancelReason ?? "cancelled", context: "restore") }
    }

    func connectAdmin() throws -> PGConnection {
        do {
            return try PGConnection.connect(admin)
        } catch {
            throw RestoreError(step: "connect", message: "restore of \(options.target) could not start: \(error)")
        }
    }

    /// A connection to the scratch database with the settings every restore session uses.
    func connectScratch() throws -> PGConnection {
        let connection = try PGConnection.connect(admin.withDatabase(tempName))
        try connection.execute("SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0; SET synchronous_commit = off")
        try connection.execute("SET client_encoding = \(connection.escapeLiteral(manifest.properties.encoding))")
        return connection
    }

    func qualified(_ name: QualifiedName, _ connection: PGConnection) -> String {
        connection.escapeIdentifier(name.schema) + "." + connection.escapeIdentifier(name.name)
    }

    let progressLock = NSLock()
    var tablesDone = 0
    var bytesDone: Int64 = 0
    var tablesTotal = 0

    func report(_ phase: String, table: String? = nil, tablesTotal total: Int? = nil) {
        guard let progress else { return }
        let snapshot: RestoreProgress = progressLock.withLock {
            if let total { tablesTotal = total }
            return RestoreProgress(phase: phase, table: table, tablesDone: tablesDone, tablesTotal: tablesTotal, bytesDone: bytesDone)
        }
        progress(snapshot)
    }

    /// Drops the scratch database and turns `error` into the one-line `RestoreError`.
    func cleanUp(after error: Error, created: Bool) -> Error {
        cancellation.cancel(reason: cancellation.cancelReason ?? "failed")
        var dropNote = "the scratch database \(tempName) was dropped"
        if created {
            do {
                let connection = try PGConnection.connect(admin, retries: 1)
                try connection.execute("DROP DATABASE IF EXISTS \(connection.escapeIdentifier(tempName)) WITH (FORCE)")
            } catch {
                dropNote = "dropping the scratch database \(tempName) failed too (\(error)): drop it by hand"
            }
        } else {
            dropNote = "nothing was created"
        }
        let failure = error as? StepFailure
        let underlying = failure?.underlying ?? error
        if let restoreError = underlying as? RestoreError, failure == nil {
            var copy = restoreError
            copy.message += "; \(dropNote) and \(options.target) is untouched"
            return copy
        }
        let stepName = failure?.step ?? "restore"
        let where_ = stepName + (failure?.table.map { " (table \($0))" } ?? "")
        if let reason = options.cancellation?.reason {
            return InterruptedError(reason: reason, detail: "restore of \(options.target) stopped during \(where_); \(dropNote) and \(options.target) is untouched")
        }
        if let reason = cancellation.cancelReason, reason != "failed", reason != "a worker failed" {
            return RestoreError(.interrupted, step: stepName, table: failure?.table,
                                message: "restore of \(options.target) was \(reason) during \(where_); \(dropNote) and \(options.target) is untouched")
        }
        // Table data the server refuses (a data exception or a constraint the schema puts on it) is
        // data that disagrees with the snapshot's own schema: damage, as a blob not matching its id is.
        var code = RestoreError.code(for: underlying)
        if stepName == "table data", let pg = underlying as? PGError, let state = pg.sqlState,
           state.hasPrefix("22") || state.hasPrefix("23") {
            code = .damaged
        }
        return RestoreError(code, step: stepName, table: failure?.table,
                            message: "restore of \(options.target) failed at \(where_): \(underlying); \(dropNote) and \(options.target) is untouched")
    }

    func oldDatabaseName() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMddHHmmss"
        let stamp = formatter.string(from: Date())
        return DatabaseRestorer.truncated(options.target, toBytes: 63 - 8 - stamp.count) + "_before_" + stamp
    }

    /// `name` cut to at most `limit` UTF-8 bytes, at a character boundary.
    static func truncated(_ name: String, toBytes limit: Int) -> String {
        var out = ""
        var used = 0
        for character in name {
            let size = String(character).utf8.count
            if used + size > limit { break }
            out.append(character)
            used += size
        }
        return out
    }
}
