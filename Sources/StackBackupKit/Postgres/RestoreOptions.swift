import Foundation

/// What `stackbackup restore DB` was asked to do.
public struct RestoreOptions: Sendable {
    /// The database to restore into (the dumped name, or `--into NAME`).
    public var target: String
    /// Swap the restored copy in when the target exists and holds data.
    public var replace: Bool
    /// With `replace`: drop the old database instead of keeping it renamed.
    public var dropOld: Bool
    /// Parallel connections for COPY, index builds and ANALYZE.
    public var jobs: Int
    /// Create missing roles from `roles` before restoring.
    public var withRoles: Bool
    /// Do not set owners: everything belongs to the restoring user; grants to
    /// roles that do not exist are skipped.
    public var noOwner: Bool
    /// Restore data only for tables matching one of these patterns (`*`, `?`;
    /// `schema.table`, or `table` in any schema). Empty: every table.
    /// The schema is restored whole.
    public var tables: [String]
    /// Only check and plan; change nothing.
    public var dryRun: Bool
    /// The job's stop token: once cancelled, the running statements and
    /// pg_restore are stopped, the scratch database dropped, and `run()`
    /// throws `InterruptedError`. Nil: only `cancel()` stops the restore.
    public var cancellation: Cancellation?
    /// Where `withRoles` gets role definitions (the newest globals snapshot).
    public var roles: RestoreRoleSource?
    /// The command that runs pg_restore for the schema archive, e.g.
    /// `["pg_restore"]` or `["docker", "exec", "-i", "postgres", "pg_restore"]`.
    public var pgRestore: [String]

    public init(target: String, replace: Bool = false, dropOld: Bool = false, jobs: Int = 2,
                withRoles: Bool = false, noOwner: Bool = false, tables: [String] = [], dryRun: Bool = false,
                cancellation: Cancellation? = nil, roles: RestoreRoleSource? = nil, pgRestore: [String] = ["pg_restore"]) {
        self.target = target
        self.replace = replace
        self.dropOld = dropOld
        self.jobs = jobs
        self.withRoles = withRoles
        self.noOwner = noOwner
        self.tables = tables
        self.dryRun = dryRun
        self.cancellation = cancellation
        self.roles = roles
        self.pgRestore = pgRestore
    }
}

/// Gives the SQL that creates roles (from a globals snapshot), for `--with-roles`.
public protocol RestoreRoleSource: Sendable {
    /// Statements (CREATE ROLE, ALTER ROLE, memberships) creating `roles`
    /// and the roles they need; roles it does not know are left out.
    func statementsCreating(roles: [String]) throws -> [String]
}

/// What a restore will do, for `--dry-run`.
public struct DatabaseRestorePlan: Sendable, Codable, Equatable {
    /// One line per step, in order.
    public var steps: [String]
    public var target: String
    /// The scratch database the data goes into first.
    public var tempName: String
    /// The name the existing target will keep (with `replace`).
    public var oldName: String?
    /// Tables whose data will be loaded.
    public var tables: Int
    /// Bytes of COPY data to load.
    public var bytes: Int64
}

/// Reported while a restore runs (from worker threads; keep the callback quick).
public struct RestoreProgress: Sendable {
    /// "preflight", "create", "pre-data", "data", "sequences", "large objects",
    /// "post-data", "refresh", "analyze", "finish", "swap".
    public var phase: String
    /// The table just finished (phase "data").
    public var table: String?
    public var tablesDone: Int
    public var tablesTotal: Int
    public var bytesDone: Int64
}

public struct DatabaseRestoreResult: Sendable, Codable {
    public var database: String
    public var tables: Int
    public var rows: Int64
    public var bytes: Int64
    /// The name the replaced database was kept under.
    public var keptOldAs: String?
    public var seconds: Double
}

/// A restore that failed or was refused. `description` is one line saying what
/// failed (step, table) and what to do; the original database is untouched.
public struct RestoreError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The target holds data and `--replace` was not given.
        case targetHoldsData
        /// Roles the dump needs are missing.
        case missingRoles
        /// Extensions the dump needs are not available on the server.
        case missingExtensions
        /// The server is older than the dumped one.
        case serverTooOld
        /// Bad options (a pattern matching nothing, a name too long…).
        case invalidOptions
        /// SIGINT/SIGTERM or `cancel()`.
        case interrupted
        /// A blob of the snapshot is missing or does not match its id, or the
        /// data loaded disagrees with the manifest: the repository is damaged.
        case damaged
        /// A step failed (a statement PostgreSQL rejected, a lost connection…).
        case failed
    }

    public var code: Code
    public var step: String
    public var table: String?
    public var message: String

    public init(_ code: Code = .failed, step: String, table: String? = nil, message: String) {
        self.code = code
        self.step = step
        self.table = table
        self.message = message
    }

    public var description: String { message }

    /// `.damaged` for an error that says the repository's bytes are bad
    /// (a blob missing or not matching its id), else `.failed`.
    static func code(for error: Error) -> Code {
        switch error {
        case is IntegrityError: return .damaged
        case let error as RepositoryError where error.code == .notFound: return .damaged
        case let error as RestoreError: return error.code
        default: return .failed
        }
    }
}
