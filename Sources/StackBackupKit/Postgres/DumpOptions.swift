import Foundation

/// How `DatabaseDumper` dumps a database.
public struct DumpOptions: Sendable {
    /// Worker connections copying table data in parallel (at least 1).
    public var jobs: Int
    /// The command that runs pg_dump, e.g. `["docker", "exec", "-i", "postgres", "pg_dump"]`.
    /// Connection settings reach it as `PG*` environment variables, never as arguments.
    public var pgDump: [String]
    /// How long any dump session waits for a table lock before the dump fails.
    public var lockTimeout: TimeInterval
    /// The repository's database chunker parameters and keyed gear table.
    public var chunker: ChunkerParameters
    public var gear: GearTable
    /// Tables whose heap is larger than this are split into key (or ctid)
    /// ranges that several workers copy at once.
    public var splitThresholdBytes: Int64

    public init(chunker: ChunkerParameters = .database, gear: GearTable, jobs: Int = 2,
                pgDump: [String] = ["pg_dump"], lockTimeout: TimeInterval = 30,
                splitThresholdBytes: Int64 = 256 << 20) {
        self.jobs = jobs
        self.pgDump = pgDump
        self.lockTimeout = lockTimeout
        self.chunker = chunker
        self.gear = gear
        self.splitThresholdBytes = splitThresholdBytes
    }
}

/// Progress of one database dump, reported after each table part and while
/// large ones stream. Delivered from worker threads, one call at a time.
public struct DumpProgress: Sendable, Equatable {
    public var database: String
    /// The table whose part just advanced or finished; nil for schema/sequence phases.
    public var table: String?
    public var tablesDone: Int
    public var tablesTotal: Int
    public var bytesDone: Int64
    public var rowsDone: Int64
}

/// The outcome of one database dump.
public struct DumpResult: Sendable {
    /// The id of the manifest blob (`BlobType.manifest`), the snapshot's root.
    public var manifestID: ObjectID
    public var manifest: DatabaseManifest
    /// tables, rows, bytesRead (= bytesTotal), bytesAdded, blobsAdded, durationSeconds.
    public var stats: SnapshotStats
    /// Things the user should know that did not fail the dump.
    public var warnings: [String]
}

/// Why a database dump failed. Each description is one line saying what to do.
public enum DumpError: Error, CustomStringConvertible, Sendable {
    /// A lock on `object` (e.g. "public.website_event") was not granted within `seconds`.
    case lockTimeout(object: String, seconds: Double)
    /// pg_dump's major version is older than the server's.
    case pgDumpTooOld(pgDumpVersion: String, serverVersion: String)
    /// pg_dump could not be started.
    case pgDumpNotFound(command: String, reason: String)
    /// pg_dump ran and failed; `message` is the first line of its stderr.
    case pgDumpFailed(section: String, message: String)
    /// The database does not exist (or is not reachable with these settings).
    case databaseNotFound(String)

    public var description: String {
        switch self {
        case let .lockTimeout(object, seconds):
            "could not lock \(object) within \(DumpError.format(seconds))s: an application holds a conflicting lock; retry later"
        case let .pgDumpTooOld(pgDumpVersion, serverVersion):
            "pg_dump \(pgDumpVersion) cannot dump server \(serverVersion): point `pg_dump:` in the config at a pg_dump ≥ \(serverVersion.split(separator: ".").first ?? "?"), e.g. `docker exec -i postgres pg_dump`"
        case let .pgDumpNotFound(command, reason):
            "could not run pg_dump (`\(command)`): \(reason); install it or point `pg_dump:` in the config at it"
        case let .pgDumpFailed(section, message):
            "pg_dump failed while dumping the \(section) schema: \(message)"
        case let .databaseNotFound(name):
            "database \(name) does not exist on the server: check the name in the config"
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}
