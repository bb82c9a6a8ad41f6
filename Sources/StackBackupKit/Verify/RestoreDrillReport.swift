import Foundation

/// How a restore drill runs.
public struct DrillOptions: Sendable {
    /// Parallel connections for the restore (COPY, index builds).
    public var jobs: Int
    /// Run amcheck's `bt_index_check` on the scratch database's btree indexes
    /// (installing the extension there when it is available).
    public var amcheck: Bool
    /// The command that runs pg_restore for the schema archive.
    public var pgRestore: [String]

    public init(jobs: Int = 2, amcheck: Bool = true, pgRestore: [String] = ["pg_restore"]) {
        self.jobs = max(1, jobs)
        self.pgRestore = pgRestore
        self.amcheck = amcheck
    }
}

/// The outcome of one restore drill. `passed` is false when anything in the
/// restored copy differs from the snapshot's manifest; each difference is
/// named (table, index, constraint).
public struct DrillReport: Codable, Sendable, Equatable {
    public var database: String
    /// The snapshot drilled (hex id).
    public var snapshot: String
    /// The scratch database the snapshot was restored into (dropped afterwards).
    public var scratchDatabase: String
    /// Tables compared with the manifest.
    public var tablesChecked: Int
    public var tables: [DrillTableResult]
    /// When the restore itself failed: its one-line error (the data is damaged
    /// or does not load). Tables named there are listed in `tables` too.
    public var restoreError: String?
    /// Indexes / constraints named in post-data but absent from the restored copy ("schema.table.name").
    public var missingIndexes: [String]
    public var missingConstraints: [String]
    public var indexesChecked: Int
    public var constraintsChecked: Int
    public var amcheck: DrillAmcheck
    /// Things to know that did not fail the drill (e.g. a digest that cannot be recomputed).
    public var notes: [String]
    public var seconds: Double
    public var passed: Bool

    enum CodingKeys: String, CodingKey {
        case database, snapshot, scratchDatabase = "scratch_database", tablesChecked = "tables_checked", tables
        case restoreError = "restore_error", missingIndexes = "missing_indexes", missingConstraints = "missing_constraints"
        case indexesChecked = "indexes_checked", constraintsChecked = "constraints_checked", amcheck, notes, seconds, passed
    }

    /// One line per problem, naming what is damaged.
    public var problems: [String] {
        var out: [String] = []
        if let restoreError { out.append("restore failed: \(restoreError)") }
        for table in tables { if let problem = table.problem { out.append("table \(table.table): \(problem)") } }
        for index in missingIndexes { out.append("index \(index) is missing from the restored copy") }
        for constraint in missingConstraints { out.append("constraint \(constraint) is missing from the restored copy") }
        for corrupt in amcheck.corrupt { out.append("amcheck: \(corrupt)") }
        return out
    }
}

/// One table of a drill: rows and content digests against the manifest.
public struct DrillTableResult: Codable, Sendable, Equatable {
    /// "schema.table".
    public var table: String
    public var rowsExpected: Int64
    /// Rows read back from the restored copy; nil when the table could not be read.
    public var rowsFound: Int64?
    /// Whether every part's SHA-256 matched the manifest; nil when not compared.
    public var digestMatches: Bool?
    /// What is wrong with this table, if anything.
    public var problem: String?

    public init(table: String, rowsExpected: Int64, rowsFound: Int64? = nil, digestMatches: Bool? = nil, problem: String? = nil) {
        self.table = table
        self.rowsExpected = rowsExpected
        self.rowsFound = rowsFound
        self.digestMatches = digestMatches
        self.problem = problem
    }

    enum CodingKeys: String, CodingKey {
        case table, rowsExpected = "rows_expected", rowsFound = "rows_found", digestMatches = "digest_matches", problem
    }
}

/// amcheck on the restored copy.
public struct DrillAmcheck: Codable, Sendable, Equatable {
    /// "checked", "skipped" (not asked, or amcheck unavailable) or "failed".
    public var status: String
    public var indexesChecked: Int
    /// Corrupt indexes, one sentence each.
    public var corrupt: [String]
    /// Why it was skipped or could not run.
    public var note: String?

    public init(status: String, indexesChecked: Int = 0, corrupt: [String] = [], note: String? = nil) {
        self.status = status
        self.indexesChecked = indexesChecked
        self.corrupt = corrupt
        self.note = note
    }

    enum CodingKeys: String, CodingKey { case status, indexesChecked = "indexes_checked", corrupt, note }
}

/// Why a drill could not run (as opposed to finding damage, which is a
/// `DrillReport` with `passed == false`).
public struct DrillError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The snapshot is not a database snapshot, or no snapshot exists.
        case invalidSnapshot
        /// The server refused (connection, roles, extensions, version).
        case cannotRun
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
