import Foundation

/// Settings shared by every maintenance operation.
public struct MaintenanceOptions: Codable, Sendable, Equatable {
    /// `lock_timeout` for each statement: how long to wait for a table lock
    /// before giving up on that table, so maintenance never queues the apps
    /// behind it for long.
    public var lockTimeout: TimeInterval
    /// `statement_timeout` for each statement; nil = no limit.
    public var statementTimeout: TimeInterval?
    /// Globs (`*`, `?`) on "schema.table" or the bare table name; empty = every
    /// user table. `public.*`, `events`, `*_log`.
    public var tablePatterns: [String]
    /// How often the progress views are polled while a statement runs.
    public var progressInterval: TimeInterval

    public init(lockTimeout: TimeInterval = 5, statementTimeout: TimeInterval? = nil,
                tablePatterns: [String] = [], progressInterval: TimeInterval = 0.5) {
        self.lockTimeout = lockTimeout
        self.statementTimeout = statementTimeout
        self.tablePatterns = tablePatterns
        self.progressInterval = progressInterval
    }

    /// Whether `schema.name` is selected by `tablePatterns`.
    func matches(schema: String, name: String) -> Bool {
        if tablePatterns.isEmpty { return true }
        let qualified = Array("\(schema).\(name)".utf8)
        let bare = Array(name.utf8)
        return tablePatterns.contains { pattern in
            let glob = Array(pattern.utf8)
            return MaintenanceOptions.glob(glob, qualified) || MaintenanceOptions.glob(glob, bare)
        }
    }

    /// `*` matches any run of bytes, `?` one byte; everything else literally.
    static func glob(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        var p = 0, t = 0
        var star = -1, mark = 0
        while t < text.count {
            if p < pattern.count && (pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t]) {
                p += 1; t += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                star = p; mark = t; p += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; t = mark
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}

/// What a maintenance run is doing, for progress output. Delivered on the
/// calling thread when a table starts or ends, and on a background polling
/// thread in between (from `pg_stat_progress_vacuum`, `_analyze`, `_cluster`
/// or `_create_index`); the callback must be thread-safe.
public struct MaintenanceProgress: Sendable, Equatable {
    public enum Event: String, Sendable {
        case started, running, finished, failed, skipped
    }

    public var operation: MaintenanceOperation
    public var database: String
    /// "schema.table" (or "schema.index" for reindex --invalid-only and check).
    public var object: String
    /// 1-based position among `count` objects.
    public var position: Int
    public var count: Int
    public var event: Event
    /// The server's phase ("scanning heap", "vacuuming indexes", "building index: scanning table").
    public var phase: String?
    /// Blocks done and total in the current phase, when the view reports them.
    public var blocksDone: Int64?
    public var blocksTotal: Int64?
}

public enum MaintenanceOperation: String, Codable, Sendable {
    case vacuum, vacuumFull = "vacuum full", analyze, reindex, check
}

/// What a vacuum, analyze or reindex run did.
public struct MaintenanceSummary: Codable, Sendable, Equatable {
    public var operation: MaintenanceOperation
    public var database: String
    public var tables: [MaintenanceTableResult]
    /// Objects not touched because the role may not maintain them.
    public var skipped: [String]
    /// Objects that failed (lock not obtained, statement timeout); the run went on.
    public var failures: [MaintenanceError]
    public var seconds: Double

    /// Sum of `bytesBefore - bytesAfter` over the tables (negative when a rebuild grew).
    public var bytesReclaimed: Int64 { tables.reduce(0) { $0 + ($1.bytesBefore - $1.bytesAfter) } }
    /// Whether every selected object was done.
    public var isComplete: Bool { failures.isEmpty && skipped.isEmpty }
}

public struct MaintenanceTableResult: Codable, Sendable, Equatable {
    /// "schema.table" or "schema.index".
    public var name: String
    /// Total size (heap + TOAST + indexes; the index alone for an index) before and after.
    public var bytesBefore: Int64
    public var bytesAfter: Int64
    /// `n_dead_tup` before and after (nil for reindex of a single index).
    public var deadTuplesBefore: Int64?
    public var deadTuplesAfter: Int64?
    public var seconds: Double
}
