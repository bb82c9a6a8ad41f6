/// A database maintenance operation (`db status|vacuum|analyze|reindex|check`)
/// that could not be done. `description` is the one sentence the operator reads.
///
/// Whole-database problems (unknown database, no privilege on anything, a lost
/// connection) are thrown. Per-table problems (a lock not obtained within
/// `lock_timeout`, a statement timeout) are collected in
/// `MaintenanceSummary.failures` and the run goes on with the next table.
public struct MaintenanceError: Error, CustomStringConvertible, Sendable, Codable, Equatable {
    public enum Code: String, Sendable, Codable, Equatable {
        /// The database does not exist; `message` lists the ones that do.
        case unknownDatabase
        /// The role lacks a privilege; `message` says which one is needed.
        case permissionDenied
        /// A lock was not obtained within `lock_timeout` (SQLSTATE 55P03).
        case lockTimeout
        /// A statement ran longer than `statement_timeout` (SQLSTATE 57014).
        case statementTimeout
        /// `--table` patterns matched no table.
        case noMatchingTables
        /// VACUUM FULL asked for without confirmation.
        case notConfirmed
        /// amcheck is not available on the server or could not be installed.
        case amcheckUnavailable
        /// Anything else the server or connection reported.
        case server
    }

    public let code: Code
    public let message: String
    /// The table or index concerned, when there is one ("public.events").
    public let object: String?

    public init(_ code: Code, _ message: String, object: String? = nil) {
        self.code = code
        self.message = message
        self.object = object
    }

    public var description: String { message }
}

extension MaintenanceError {
    static func unknownDatabase(_ name: String, existing: [String]) -> MaintenanceError {
        let list = existing.isEmpty ? "none visible" : existing.joined(separator: ", ")
        return MaintenanceError(.unknownDatabase,
                                "database \"\(name)\" does not exist on the server; existing databases: \(list)")
    }

    static func lockTimeout(_ object: String, seconds: Double) -> MaintenanceError {
        MaintenanceError(.lockTimeout,
                         "could not lock \(object) within \(formatSeconds(seconds)): another session holds a lock; retry later",
                         object: object)
    }

    static func statementTimeout(_ object: String, seconds: Double?) -> MaintenanceError {
        let limit = seconds.map { " (\(formatSeconds($0)))" } ?? ""
        return MaintenanceError(.statementTimeout,
                                "maintenance of \(object) ran longer than statement_timeout\(limit) and was cancelled; run it at a quieter time or raise the timeout",
                                object: object)
    }

    static func formatSeconds(_ seconds: Double) -> String {
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return String(format: "%.1fs", seconds)
    }
}
