import Foundation

/// What a snapshot was taken of.
public enum SourceKind: String, Codable, Sendable {
    case volume
    case postgres
    case globals
}

/// Counters recorded with every snapshot.
public struct SnapshotStats: Codable, Sendable, Equatable {
    public var filesNew = 0
    public var filesChanged = 0
    public var filesUnchanged = 0
    public var directories = 0
    /// Bytes of source content read (files read again, or COPY output).
    public var bytesRead: Int64 = 0
    /// Bytes of the whole source, read or reused.
    public var bytesTotal: Int64 = 0
    /// Bytes this snapshot added to the repository (stored, after dedup/compression).
    public var bytesAdded: Int64 = 0
    public var blobsAdded = 0
    public var durationSeconds: Double = 0
    /// Database sources: tables and rows dumped.
    public var tables: Int?
    public var rows: Int64?
    /// Volume sources: entries left out or stored while changing (the backup was
    /// partial); absent when there were none, and in older documents.
    public var entriesSkipped: Int?
    /// Globals sources: roles and role memberships dumped (absent in older documents).
    public var roles: Int?
    public var memberships: Int?

    public init() {}
}

/// A snapshot document (sealed JSON under `snapshots/`). Its id is the
/// SHA-256 of the stored file, so it is not part of the document.
public struct Snapshot: Codable, Sendable {
    public var time: Date
    public var host: String
    public var kind: SourceKind
    public var source: String
    public var tags: [String]
    /// A tree blob for volumes, a manifest blob for databases.
    public var root: ObjectID
    public var parent: ObjectID?
    /// The folder a volume snapshot was taken of.
    public var path: String?
    public var stats: SnapshotStats
    public var toolVersion: String
    /// PostgreSQL `server_version_num` for database sources.
    public var serverVersion: Int?
    /// The configured PostgreSQL server (`postgres:` entry name) a `postgres`
    /// or `globals` snapshot was taken from. Absent in older documents, which
    /// came from the single server now called `default`: see `serverName`.
    public var server: String?
    /// Set by `copy`: the id of the original snapshot (in the repository it
    /// was first taken in) this one is a copy of. Absent in older documents.
    public var copiedFrom: ObjectID?
    /// Set by `repair snapshots`: the damaged snapshot this one was rebuilt
    /// from. Absent in other documents.
    public var repairedFrom: ObjectID?

    public init(time: Date, host: String, kind: SourceKind, source: String, tags: [String] = [],
                root: ObjectID, parent: ObjectID? = nil, path: String? = nil,
                stats: SnapshotStats = SnapshotStats(), serverVersion: Int? = nil, server: String? = nil) {
        self.time = time
        self.host = host
        self.kind = kind
        self.source = source
        self.tags = tags
        self.root = root
        self.parent = parent
        self.path = path
        self.stats = stats
        self.toolVersion = StackBackupVersion.current
        self.serverVersion = serverVersion
        self.server = server
    }

    /// The server name of a snapshot written before servers were recorded.
    public static let defaultServer = "default"

    /// The server of a database or globals snapshot, `default` when unrecorded.
    public var serverName: String { server ?? Self.defaultServer }

    enum CodingKeys: String, CodingKey {
        case time, host, kind, source, tags, root, parent, path, stats
        case toolVersion = "tool_version"
        case serverVersion = "server_version"
        case server
        case copiedFrom = "copied_from"
        case repairedFrom = "repaired_from"
    }
}

/// A snapshot with the id of the file it was loaded from.
public struct SnapshotRecord: Sendable {
    public let id: ObjectID
    public let snapshot: Snapshot

    /// The id of the snapshot this one is, or is a copy of: the same in every
    /// repository it was copied to.
    public var originalID: ObjectID { snapshot.copiedFrom ?? id }

    public init(id: ObjectID, snapshot: Snapshot) {
        self.id = id
        self.snapshot = snapshot
    }
}
