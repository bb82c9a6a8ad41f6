import Foundation

/// One PostgreSQL server of the `postgres:` section (the section itself, or
/// one entry of its list form). Unset connection fields (nil) leave the choice
/// to libpq's usual `PG*` environment variables and ~/.pgpass.
public struct PostgresSettings: Sendable, Equatable {
    public static let defaultDatabases = ["immich", "umami", "backend", "authelia"]
    public static let sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
    /// The name of the single-mapping form's server (and of snapshots taken
    /// before servers had names).
    public static let defaultName = Snapshot.defaultServer

    /// Unique in the config; recorded in every snapshot taken from this server.
    public var name: String
    public var host: String?
    public var port: Int?
    public var user: String?
    /// Database for admin connections (listing databases, globals, maintenance).
    public var dbname: String
    public var passwordFile: String?
    public var sslMode: String?
    /// Seconds, passed to libpq's connect_timeout.
    public var connectTimeout: Int
    public var databases: [String]
    /// Snapshot source names of databases whose source is not their own name
    /// (`- {name: app, source: app-immich}`), by database name.
    public var sourceNames: [String: String]
    public var jobs: Int
    /// The pg_dump command line used for DDL, already split into arguments.
    public var pgDump: [String]
    /// The pg_restore command line for the schema archive, already split into
    /// arguments; a wrapper (`docker exec -i postgres pg_restore`) reads the archive on stdin.
    public var pgRestore: [String]
    /// Seconds a dump session waits for a lock before it gives up.
    public var lockTimeout: TimeInterval
    /// `max_age:` of the server: how old the last success of its roles and
    /// databases may be before `status` calls them stale; nil = the nightly default.
    public var maxAge: TimeInterval? = nil
    /// `max_age:` of single database entries, by database name (wins over `maxAge`).
    public var databaseMaxAges: [String: TimeInterval] = [:]

    public init(
        name: String = PostgresSettings.defaultName,
        host: String? = nil, port: Int? = nil, user: String? = nil, dbname: String = "postgres",
        passwordFile: String? = nil, sslMode: String? = nil, connectTimeout: Int = 10,
        databases: [String] = PostgresSettings.defaultDatabases, sourceNames: [String: String] = [:], jobs: Int = 2,
        pgDump: [String] = ["pg_dump"], lockTimeout: TimeInterval = 30, pgRestore: [String] = ["pg_restore"]
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.user = user
        self.dbname = dbname
        self.passwordFile = passwordFile
        self.sslMode = sslMode
        self.connectTimeout = connectTimeout
        self.databases = databases
        self.sourceNames = sourceNames
        self.jobs = jobs
        self.pgDump = pgDump
        self.pgRestore = pgRestore
        self.lockTimeout = lockTimeout
    }

    /// The snapshot source name of one of this server's databases: its own
    /// name unless the config gave it a `source:`.
    public func source(of database: String) -> String {
        sourceNames[database] ?? database
    }

    /// The source of this server's roles snapshot: `globals` for the server
    /// named `default` (so the single form keeps its history), else `globals-NAME`.
    public var globalsSource: String {
        name == Self.defaultName ? "globals" : "globals-\(name)"
    }
}

/// One folder to snapshot, as `volumes: NAME: {...}` (or `NAME: PATH`).
public struct VolumeSettings: Sendable, Equatable {
    public var name: String
    public var path: String
    /// Globs relative to `path`, as the Volumes scanner matches them.
    public var exclude: [String]
    /// Globs of entries backed up even when `exclude` covers them (an app's
    /// marker files); see `keepPatterns` for the ones an app adds.
    public var keep: [String]
    /// The app whose data the folder holds: set in the config, else nil
    /// (recognised from the name, the path or the marker files).
    public var app: VolumeApp?
    /// Globs of SQLite databases copied through SQLite's online backup API.
    public var sqlite: [String]
    /// Stay on the file system of `path` (do not cross mount points).
    public var oneFileSystem: Bool
    /// `max_age:`: how old the last success may be before `status` calls it stale; nil = the nightly default.
    public var maxAge: TimeInterval? = nil

    public init(name: String, path: String, exclude: [String] = [], keep: [String] = [], app: VolumeApp? = nil,
                sqlite: [String] = [], oneFileSystem: Bool = false) {
        self.name = name
        self.path = path
        self.exclude = exclude
        self.keep = keep
        self.app = app
        self.sqlite = sqlite
        self.oneFileSystem = oneFileSystem
    }
}

/// The `hooks:` section.
public struct HookSettings: Sendable, Equatable {
    /// Pinged at start (`/start`), on success (the URL) and on failure (`/fail`),
    /// healthchecks.io style.
    public var healthcheckURL: URL?

    public init(healthcheckURL: URL? = nil) {
        self.healthcheckURL = healthcheckURL
    }
}

/// How often `stackbackup run` performs a maintenance task.
public enum MaintenanceSchedule: String, Sendable, Equatable, CaseIterable {
    case never, nightly, weekly, monthly

    /// The least time between two runs of the task; nil for `never`.
    public var interval: TimeInterval? {
        switch self {
        case .never: return nil
        case .nightly: return 86_400
        case .weekly: return 7 * 86_400
        case .monthly: return 30 * 86_400
        }
    }
}

/// The `maintenance:` section. A task not named runs never: maintenance is opt-in.
public struct MaintenanceSettings: Sendable, Equatable {
    public var analyze: MaintenanceSchedule
    public var vacuum: MaintenanceSchedule
    public var reindexInvalid: MaintenanceSchedule
    public var check: MaintenanceSchedule

    public init(analyze: MaintenanceSchedule = .never, vacuum: MaintenanceSchedule = .never,
                reindexInvalid: MaintenanceSchedule = .never, check: MaintenanceSchedule = .never) {
        self.analyze = analyze
        self.vacuum = vacuum
        self.reindexInvalid = reindexInvalid
        self.check = check
    }
}
