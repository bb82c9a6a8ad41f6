import Foundation

/// Opens maintenance connections and turns server errors into `MaintenanceError`.
/// Shared by `HealthCollector` and `Maintenance`.
enum MaintenanceConnection {
    /// Connects to `database`. A database that does not exist becomes
    /// `MaintenanceError.unknownDatabase` listing the databases that do (read
    /// through the `postgres` database, or the configured one).
    static func open(_ config: PGConnectionConfig, database: String) throws -> PGConnection {
        do {
            return try PGConnection.connect(config.withDatabase(database), retries: 1)
        } catch let error as PGError where error.code == .connection && error.message.contains("does not exist")
            && error.message.contains("database") {
            throw MaintenanceError.unknownDatabase(database, existing: (try? listDatabases(config)) ?? [])
        } catch let error as PGError where error.code == .connection && error.message.contains("permission denied") {
            throw MaintenanceError(.permissionDenied,
                                   "cannot connect to database \"\(database)\": the role needs the CONNECT privilege on it (GRANT CONNECT ON DATABASE … TO role)")
        }
    }

    /// The databases a maintenance command may name: connectable, not templates.
    static func listDatabases(_ config: PGConnectionConfig) throws -> [String] {
        var candidates = ["postgres"]
        if let configured = config.database, configured != "postgres" { candidates.append(configured) }
        var lastError: Error?
        for name in candidates {
            do {
                let connection = try PGConnection.connect(config.withDatabase(name), retries: 0)
                return try databases(on: connection)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? MaintenanceError(.server, "cannot list the databases")
    }

    static func databases(on connection: PGConnection) throws -> [String] {
        let result = try connection.execute(
            "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname")
        return (0..<result.rowCount).compactMap { result.string($0, 0) }
    }

    /// Sets `lock_timeout` and `statement_timeout` (0 = none) for the session.
    static func applyTimeouts(_ connection: PGConnection, options: MaintenanceOptions) throws {
        let lock = max(1, Int((options.lockTimeout * 1000).rounded()))
        let statement = options.statementTimeout.map { max(1, Int(($0 * 1000).rounded())) } ?? 0
        try connection.execute("SET lock_timeout = \(lock); SET statement_timeout = \(statement)")
    }

    /// Maps a per-object failure to a `MaintenanceError`, or nil when it is not
    /// one the run should survive (the caller rethrows the original).
    static func perObjectError(_ error: Error, object: String, action: String,
                               options: MaintenanceOptions) -> MaintenanceError? {
        guard let error = error as? PGError else { return error as? MaintenanceError }
        switch error.sqlState {
        case "55P03":
            return .lockTimeout(object, seconds: options.lockTimeout)
        case "57014":
            return .statementTimeout(object, seconds: options.statementTimeout)
        case "42501":
            return MaintenanceError(.permissionDenied,
                                    "permission denied to \(action) \(object): \(privilegeHint(action))",
                                    object: object)
        default:
            return nil
        }
    }

    static func privilegeHint(_ action: String) -> String {
        switch action {
        case "check":
            return "amcheck's functions need superuser or an explicit GRANT EXECUTE ON FUNCTION bt_index_check(regclass, boolean) and SELECT on the tables"
        default:
            return "the role must own the table or the database, be superuser, or (PostgreSQL 17+) hold the MAINTAIN privilege or pg_maintain role"
        }
    }
}
