import Foundation

/// The `db status` report: one entry per database and the warnings an operator
/// should act on. Plain values, `Codable` for `--json` (camelCase keys; dates as
/// the encoder's date strategy renders them). Built by `HealthCollector`.
public struct HealthReport: Codable, Sendable, Equatable {
    /// `server_version` as the server prints it ("15.8 (Debian 15.8-0+deb12u1)").
    public var server: String
    /// `server_version_num` (150008).
    public var serverVersionNumber: Int
    public var databases: [DatabaseHealth]
    /// All warnings of all databases, in database order.
    public var warnings: [HealthWarning]

    public init(server: String, serverVersionNumber: Int, databases: [DatabaseHealth], warnings: [HealthWarning]) {
        self.server = server
        self.serverVersionNumber = serverVersionNumber
        self.databases = databases
        self.warnings = warnings
    }
}

/// Health of one database.
public struct DatabaseHealth: Codable, Sendable, Equatable {
    public var name: String
    /// `pg_database_size`.
    public var sizeBytes: Int64
    /// Growth since the last backup's manifest; left nil by the collector, filled
    /// by the caller that has the repository (`HealthReport.addGrowth`).
    public var growthSinceLastBackup: Int64?
    /// When that backup's snapshot was taken.
    public var lastBackupAt: Date?
    /// The largest tables by total size (heap + TOAST + indexes), largest first.
    public var largestTables: [RelationSize]
    /// The largest indexes, largest first.
    public var largestIndexes: [RelationSize]
    /// Every user table, by name.
    public var tables: [TableHealth]
    /// `age(datfrozenxid)` and `mxid_age(datminmxid)`.
    public var xidAge: Int64
    public var mxidAge: Int64
    /// Either age passed its threshold: vacuum (freeze) this database soon.
    public var wraparoundWarning: Bool
    /// Sessions whose transaction has run longer than the threshold.
    public var longTransactions: [SessionInfo]
    /// Sessions idle inside an open transaction for longer than the threshold.
    public var idleInTransaction: [SessionInfo]
    /// Never scanned since statistics were reset; unique and primary-key indexes excluded.
    public var unusedIndexes: [IndexInfo]
    /// Groups of indexes on the same table with the same columns, operator
    /// classes, expressions and predicate: all but one are redundant.
    public var duplicateIndexes: [DuplicateIndexGroup]
    /// Indexes left invalid, e.g. by a failed CREATE INDEX CONCURRENTLY.
    public var invalidIndexes: [IndexInfo]
    /// blks_hit / (blks_hit + blks_read) of this database; nil before any block was read.
    public var cacheHitRatio: Double?
    /// blks_hit + blks_read: how much the ratio is based on.
    public var cacheBlocks: Int64
    /// Installed extensions whose default version on the server is newer.
    public var extensionsWithUpdates: [ExtensionUpdate]
}

public struct RelationSize: Codable, Sendable, Equatable {
    /// "schema.name".
    public var name: String
    public var bytes: Int64
}

/// Vacuum state of one table.
///
/// The bloat estimate is dead-tuple based, not the pgexperts/ioguide estimate
/// from `pg_stats`: `bloatRatio = dead / (live + dead)` and
/// `bloatEstimateBytes = bloatRatio × heap size`. It needs no ANALYZE and says
/// what VACUUM would make reusable; it does not see free space already reclaimed
/// by VACUUM but still held by the file (only VACUUM FULL returns that).
public struct TableHealth: Codable, Sendable, Equatable {
    public var name: String
    /// Heap size (main fork, `pg_relation_size`).
    public var sizeBytes: Int64
    public var totalBytes: Int64
    public var liveTuples: Int64
    public var deadTuples: Int64
    public var bloatEstimateBytes: Int64
    public var bloatRatio: Double
    public var lastVacuum: Date?
    public var lastAutovacuum: Date?
    public var lastAnalyze: Date?
    public var lastAutoanalyze: Date?
}

/// A backend session, as `pg_stat_activity` shows it to the connecting role
/// (other roles' query text reads "<insufficient privilege>" unless the role
/// is superuser or member of pg_read_all_stats).
public struct SessionInfo: Codable, Sendable, Equatable {
    public var pid: Int
    public var user: String?
    public var application: String?
    public var state: String
    /// Seconds since the transaction started (since the last state change when no transaction).
    public var seconds: Double
    /// The first 60 characters of the current or last query.
    public var query: String
}

public struct IndexInfo: Codable, Sendable, Equatable {
    /// "schema.index".
    public var name: String
    /// "schema.table".
    public var table: String
    public var bytes: Int64
}

public struct DuplicateIndexGroup: Codable, Sendable, Equatable {
    public var table: String
    /// Index names, sorted; keep one.
    public var indexes: [String]
    /// Bytes that dropping all but the first would free.
    public var redundantBytes: Int64
}

public struct ExtensionUpdate: Codable, Sendable, Equatable {
    public var name: String
    public var installed: String
    public var available: String
}

/// Something the operator should look at.
public struct HealthWarning: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable {
        case wraparound, bloat, longTransaction, idleInTransaction, invalidIndex, duplicateIndex,
             lowCacheHitRatio, extensionUpdate
    }

    public var database: String
    public var kind: Kind
    /// The table, index, session ("pid 1234") or extension concerned.
    public var object: String?
    /// One sentence: what is wrong and what to do.
    public var message: String

    public var description: String { "\(database): \(message)" }
}

/// Where `db status` starts warning. The defaults suit a small self-hosted stack.
public struct HealthThresholds: Codable, Sendable, Equatable {
    /// Transaction-id age that warns (wraparound forces a shutdown at ~2.1 billion;
    /// autovacuum normally freezes at 200 million).
    public var xidAgeWarning: Int64
    public var mxidAgeWarning: Int64
    public var longTransactionSeconds: Double
    public var idleInTransactionSeconds: Double
    /// A table warns when its bloat ratio and its estimated bloat both pass these.
    public var bloatRatioWarning: Double
    public var bloatMinimumBytes: Int64
    /// Warns below this ratio, once the database has read at least `cacheMinimumReads` blocks.
    public var cacheHitRatioWarning: Double
    public var cacheMinimumReads: Int64
    /// How many largest tables and indexes to list.
    public var largestCount: Int

    public init(xidAgeWarning: Int64 = 1_000_000_000, mxidAgeWarning: Int64 = 1_000_000_000,
                longTransactionSeconds: Double = 300, idleInTransactionSeconds: Double = 60,
                bloatRatioWarning: Double = 0.2, bloatMinimumBytes: Int64 = 10 << 20,
                cacheHitRatioWarning: Double = 0.9, cacheMinimumReads: Int64 = 10_000, largestCount: Int = 10) {
        self.xidAgeWarning = xidAgeWarning
        self.mxidAgeWarning = mxidAgeWarning
        self.longTransactionSeconds = longTransactionSeconds
        self.idleInTransactionSeconds = idleInTransactionSeconds
        self.bloatRatioWarning = bloatRatioWarning
        self.bloatMinimumBytes = bloatMinimumBytes
        self.cacheHitRatioWarning = cacheHitRatioWarning
        self.cacheMinimumReads = cacheMinimumReads
        self.largestCount = largestCount
    }

    public static let `default` = HealthThresholds()
}
