import Foundation

/// Builds the `db status` report by reading PostgreSQL's statistics and
/// catalog views. Read-only: it changes nothing on the server.
///
/// Blocking (one libpq connection per database, one after the other); call it
/// from a dedicated thread. Every session sets `lock_timeout` (size functions
/// take an ACCESS SHARE lock, so a running VACUUM FULL would otherwise make the
/// report wait) and a `statement_timeout` of one minute.
public enum HealthCollector {
    /// Collects `databases` (all connectable non-template databases when empty).
    /// Throws `MaintenanceError.unknownDatabase` naming the existing ones,
    /// `.lockTimeout` when a relation stays locked, or `PGError` when the server
    /// cannot be reached.
    public static func collect(connection config: PGConnectionConfig, databases: [String] = [],
                               thresholds: HealthThresholds = .default,
                               options: MaintenanceOptions = MaintenanceOptions(statementTimeout: 60)) throws -> HealthReport {
        let names = databases.isEmpty ? try MaintenanceConnection.listDatabases(config) : databases
        var server = ""
        var serverNumber = 0
        var healths: [DatabaseHealth] = []
        var warnings: [HealthWarning] = []
        for name in names {
            let connection: PGConnection
            do {
                connection = try MaintenanceConnection.open(config, database: name)
            } catch let error as MaintenanceError where error.code == .unknownDatabase && databases.isEmpty {
                continue  // dropped between listing and connecting
            }
            let health: DatabaseHealth
            do {
                try MaintenanceConnection.applyTimeouts(connection, options: options)
                if server.isEmpty {
                    let version = try connection.execute(
                        "SELECT current_setting('server_version'), current_setting('server_version_num')")
                    server = version.string(0, 0) ?? ""
                    serverNumber = Int(version.int(0, 1) ?? 0)
                }
                health = try collect(name, on: connection, thresholds: thresholds)
            } catch {
                // Listing every database: one dropped meanwhile (its sessions are
                // terminated just before its catalog row goes) is left out.
                if databases.isEmpty && wasDropped(name, config: config, after: error) { continue }
                if let mapped = MaintenanceConnection.perObjectError(error, object: "database \(name)",
                                                                     action: "inspect", options: options) {
                    throw mapped
                }
                throw error
            }
            healths.append(health)
            warnings += HealthWarnings.make(for: health, thresholds: thresholds)
        }
        return HealthReport(server: server, serverVersionNumber: serverNumber, databases: healths, warnings: warnings)
    }

    static func wasDropped(_ name: String, config: PGConnectionConfig, after error: Error) -> Bool {
        let attempts = (error as? PGError)?.code == .connection ? 10 : 1
        for attempt in 0..<attempts {
            if attempt > 0 { Thread.sleep(forTimeInterval: 0.2) }
            if let existing = try? MaintenanceConnection.listDatabases(config), !existing.contains(name) { return true }
        }
        return false
    }

    static func collect(_ name: String, on connection: PGConnection, thresholds: HealthThresholds) throws -> DatabaseHealth {
        let database = try connection.execute("""
            SELECT pg_database_size(d.oid), age(d.datfrozenxid), mxid_age(d.datminmxid), s.blks_hit, s.blks_read
            FROM pg_database d LEFT JOIN pg_stat_database s ON s.datid = d.oid
            WHERE d.datname = current_database()
            """)
        let hits = database.int(0, 3) ?? 0
        let reads = database.int(0, 4) ?? 0
        let xidAge = database.int(0, 1) ?? 0
        let mxidAge = database.int(0, 2) ?? 0
        let tables = try tableHealth(connection)
        let largest = Int(max(0, thresholds.largestCount))
        let largestTables = tables.sorted { ($0.totalBytes, $1.name) > ($1.totalBytes, $0.name) }
            .prefix(largest).map { RelationSize(name: $0.name, bytes: $0.totalBytes) }
        let sessions = try self.sessions(connection)
        return DatabaseHealth(
            name: name,
            sizeBytes: database.int(0, 0) ?? 0,
            growthSinceLastBackup: nil,
            largestTables: Array(largestTables),
            largestIndexes: try largestIndexes(connection, limit: largest),
            tables: tables,
            xidAge: xidAge,
            mxidAge: mxidAge,
            wraparoundWarning: xidAge >= thresholds.xidAgeWarning || mxidAge >= thresholds.mxidAgeWarning,
            longTransactions: sessions.filter { !$0.idle && $0.transactionSeconds >= thresholds.longTransactionSeconds }
                .map { $0.info(seconds: $0.transactionSeconds) },
            idleInTransaction: sessions.filter { $0.idle && $0.idleSeconds >= thresholds.idleInTransactionSeconds }
                .map { $0.info(seconds: $0.idleSeconds) },
            unusedIndexes: try indexes(connection, where: """
                s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary AND i.indisvalid
                AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
                """),
            duplicateIndexes: try duplicateIndexes(connection),
            invalidIndexes: try indexes(connection, where: "NOT i.indisvalid"),
            cacheHitRatio: hits + reads > 0 ? Double(hits) / Double(hits + reads) : nil,
            cacheBlocks: hits + reads,
            extensionsWithUpdates: try extensionUpdates(connection))
    }

    static func tableHealth(_ connection: PGConnection) throws -> [TableHealth] {
        let result = try connection.execute("""
            SELECT s.schemaname || '.' || s.relname, pg_relation_size(s.relid), pg_total_relation_size(s.relid),
                   s.n_live_tup, s.n_dead_tup,
                   extract(epoch FROM s.last_vacuum), extract(epoch FROM s.last_autovacuum),
                   extract(epoch FROM s.last_analyze), extract(epoch FROM s.last_autoanalyze)
            FROM pg_stat_user_tables s ORDER BY 1
            """)
        return (0..<result.rowCount).map { row in
            let size = result.int(row, 1) ?? 0
            let live = max(0, result.int(row, 3) ?? 0)
            let dead = max(0, result.int(row, 4) ?? 0)
            // Dead-tuple estimate (see TableHealth): the dead share of the heap.
            let ratio = live + dead > 0 ? Double(dead) / Double(live + dead) : 0
            return TableHealth(
                name: result.string(row, 0) ?? "?", sizeBytes: size, totalBytes: result.int(row, 2) ?? size,
                liveTuples: live, deadTuples: dead,
                bloatEstimateBytes: Int64((Double(size) * ratio).rounded()), bloatRatio: ratio,
                lastVacuum: date(result, row, 5), lastAutovacuum: date(result, row, 6),
                lastAnalyze: date(result, row, 7), lastAutoanalyze: date(result, row, 8))
        }
    }

    static func date(_ result: PGResult, _ row: Int, _ column: Int) -> Date? {
        guard let text = result.string(row, column), let seconds = Double(text) else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    static func largestIndexes(_ connection: PGConnection, limit: Int) throws -> [RelationSize] {
        let result = try connection.query("""
            SELECT schemaname || '.' || indexrelname, pg_relation_size(indexrelid) AS bytes
            FROM pg_stat_user_indexes ORDER BY bytes DESC, 1 LIMIT $1
            """, [String(limit)])
        return (0..<result.rowCount).map { RelationSize(name: result.string($0, 0) ?? "?", bytes: result.int($0, 1) ?? 0) }
    }

    static func indexes(_ connection: PGConnection, where condition: String) throws -> [IndexInfo] {
        let result = try connection.execute("""
            SELECT s.schemaname || '.' || s.indexrelname, s.schemaname || '.' || s.relname, pg_relation_size(s.indexrelid)
            FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
            WHERE \(condition) ORDER BY 1
            """)
        return (0..<result.rowCount).map {
            IndexInfo(name: result.string($0, 0) ?? "?", table: result.string($0, 1) ?? "?", bytes: result.int($0, 2) ?? 0)
        }
    }

    /// Same table, key columns, operator classes, collations, options, expressions and predicate.
    static func duplicateIndexes(_ connection: PGConnection) throws -> [DuplicateIndexGroup] {
        let result = try connection.execute("""
            SELECT s.schemaname || '.' || s.relname,
                   string_agg(s.schemaname || '.' || s.indexrelname, E'\\n' ORDER BY s.indexrelname),
                   sum(pg_relation_size(i.indexrelid))
                     - (array_agg(pg_relation_size(i.indexrelid) ORDER BY s.indexrelname))[1]
            FROM pg_index i JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid
            GROUP BY s.schemaname, s.relname, i.indrelid, i.indkey::text, i.indclass::text, i.indcollation::text,
                     i.indoption::text, coalesce(pg_get_expr(i.indexprs, i.indrelid), ''),
                     coalesce(pg_get_expr(i.indpred, i.indrelid), '')
            HAVING count(*) > 1 ORDER BY 1, 2
            """)
        return (0..<result.rowCount).map {
            DuplicateIndexGroup(table: result.string($0, 0) ?? "?",
                                indexes: (result.string($0, 1) ?? "").split(separator: "\n").map(String.init),
                                redundantBytes: result.int($0, 2) ?? 0)
        }
    }

    static func extensionUpdates(_ connection: PGConnection) throws -> [ExtensionUpdate] {
        let result = try connection.execute("""
            SELECT name, installed_version, default_version FROM pg_available_extensions
            WHERE installed_version IS NOT NULL AND default_version IS NOT NULL
              AND installed_version <> default_version ORDER BY name
            """)
        return (0..<result.rowCount).map {
            ExtensionUpdate(name: result.string($0, 0) ?? "?", installed: result.string($0, 1) ?? "?",
                            available: result.string($0, 2) ?? "?")
        }
    }

    struct Session {
        var pid: Int, user: String?, application: String?, state: String
        var transactionSeconds: Double, idleSeconds: Double, query: String
        var idle: Bool { state.hasPrefix("idle in transaction") }
        func info(seconds: Double) -> SessionInfo {
            SessionInfo(pid: pid, user: user, application: application, state: state, seconds: seconds, query: query)
        }
    }

    /// Client sessions of this database with an open transaction, except our own.
    static func sessions(_ connection: PGConnection) throws -> [Session] {
        let result = try connection.execute("""
            SELECT pid, usename, application_name, coalesce(state, ''),
                   extract(epoch FROM now() - xact_start), extract(epoch FROM now() - coalesce(state_change, xact_start)),
                   left(coalesce(query, ''), 60)
            FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
              AND backend_type = 'client backend'
            ORDER BY xact_start
            """)
        return (0..<result.rowCount).map { row in
            let query = (result.string(row, 6) ?? "").map { $0.isNewline || $0 == "\t" ? " " : $0 }
            return Session(pid: Int(result.int(row, 0) ?? 0), user: result.string(row, 1),
                           application: result.string(row, 2), state: result.string(row, 3) ?? "",
                           transactionSeconds: Double(result.string(row, 4) ?? "") ?? 0,
                           idleSeconds: Double(result.string(row, 5) ?? "") ?? 0,
                           query: String(String(query).prefix(60)))
        }
    }
}
