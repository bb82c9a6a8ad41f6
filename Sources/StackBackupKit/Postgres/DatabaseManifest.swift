import Foundation

/// The root blob of a `postgres` snapshot: everything needed to recreate one
/// database, and to check a restore of it (row counts and content digests).
/// Stored as canonical JSON (`BlobType.manifest`).
///
/// Version 2 keeps the schema as pg_dump's custom-format archive (`schema`),
/// restored by pg_restore; version 1 (older snapshots) kept it as plain SQL
/// in `pre_data`/`post_data`, which a restore still reads.
public struct DatabaseManifest: Codable, Sendable, Equatable {
    /// The newest manifest version this build reads and the one it writes.
    public static let currentVersion = 2
    public var version = DatabaseManifest.currentVersion
    public var database: String
    /// `server_version_num` and the human string of the dumped server.
    public var serverVersion: Int
    public var serverVersionString: String
    /// The server's time when the dump's snapshot was taken.
    public var dumpedAt: Date
    public var properties: DatabaseProperties
    /// Version 2: pg_dump's pre-data and post-data sections as one custom-format archive.
    public var schema: SchemaArchive?
    /// Version 1: pg_dump's pre-data section (types, tables, functions…), as data blobs of SQL text.
    public var preData: [ObjectID]
    /// Version 1: pg_dump's post-data section (indexes, constraints, triggers, policies…).
    public var postData: [ObjectID]
    /// Each table (leaf partitions, never partitioned parents), in dump order.
    public var tables: [TableEntry]
    public var sequences: [SequenceEntry]
    public var largeObjects: [LargeObjectEntry]
    /// Materialized views, in dependency order. Version 1 refreshes them all
    /// after post-data; version 2 leaves that to the archive, which refreshes
    /// exactly those that were populated at dump time.
    public var materializedViews: [QualifiedName]
    /// Extensions and their versions, for `db status` and drills.
    public var extensions: [String: String]
    /// `pg_database_size` in the dump's snapshot, for `db status` growth
    /// (absent in manifests written before it was recorded).
    public var databaseSize: Int64?
    /// PostgreSQL 18+: the names of NOT NULL constraints, which a reload can
    /// change (`NotNullNames`); absent for older servers.
    public var notNullNames: [NotNullName]?

    public init(database: String, serverVersion: Int, serverVersionString: String, dumpedAt: Date,
                properties: DatabaseProperties) {
        self.database = database
        self.serverVersion = serverVersion
        self.serverVersionString = serverVersionString
        self.dumpedAt = dumpedAt
        self.properties = properties
        preData = []
        postData = []
        tables = []
        sequences = []
        largeObjects = []
        materializedViews = []
        extensions = [:]
    }

    enum CodingKeys: String, CodingKey {
        case version, database, serverVersion = "server_version", serverVersionString = "server_version_string"
        case dumpedAt = "dumped_at", properties, schema, preData = "pre_data", postData = "post_data", tables, sequences
        case largeObjects = "large_objects", materializedViews = "materialized_views", extensions
        case databaseSize = "database_size", notNullNames = "not_null_names"
    }
}

/// pg_dump's custom-format archive of a database's pre-data and post-data
/// sections (no table data), stored as data blobs.
public struct SchemaArchive: Codable, Sendable, Equatable {
    /// "custom" (pg_dump --format=custom); the only format so far.
    public var format: String
    /// The version of the pg_dump that wrote it ("15.20"): a pg_restore of that
    /// major version or newer reads it.
    public var pgDumpVersion: String
    public var bytes: Int64
    public var chunks: [ObjectID]

    public init(format: String = "custom", pgDumpVersion: String, bytes: Int64, chunks: [ObjectID]) {
        self.format = format
        self.pgDumpVersion = pgDumpVersion
        self.bytes = bytes
        self.chunks = chunks
    }

    /// The major version of the pg_dump that wrote the archive.
    public var pgDumpMajor: Int { Int(pgDumpVersion.prefix { $0.isNumber }) ?? 0 }

    enum CodingKeys: String, CodingKey { case format, pgDumpVersion = "pg_dump_version", bytes, chunks }
}

public struct QualifiedName: Codable, Sendable, Hashable, CustomStringConvertible {
    public var schema: String
    public var name: String
    public init(schema: String, name: String) { self.schema = schema; self.name = name }
    public var description: String { "\(schema).\(name)" }
}

/// Database-level properties that `pg_restore` without `--create` loses.
public struct DatabaseProperties: Codable, Sendable, Equatable {
    public var encoding: String
    public var collate: String
    public var ctype: String
    /// "c" (libc) or "i" (ICU).
    public var localeProvider: String
    public var iculocale: String?
    public var owner: String
    public var comment: String?
    public var connectionLimit: Int
    /// `datacl` as text (aclitem[]), re-granted on restore.
    public var acl: String?
    /// `ALTER DATABASE … SET` settings, as "name=value".
    public var settings: [String]
    /// Per-role settings in this database: role → ["name=value"].
    public var roleSettings: [String: [String]]

    public init(encoding: String, collate: String, ctype: String, localeProvider: String, iculocale: String?,
                owner: String, comment: String?, connectionLimit: Int, acl: String?, settings: [String],
                roleSettings: [String: [String]]) {
        self.encoding = encoding
        self.collate = collate
        self.ctype = ctype
        self.localeProvider = localeProvider
        self.iculocale = iculocale
        self.owner = owner
        self.comment = comment
        self.connectionLimit = connectionLimit
        self.acl = acl
        self.settings = settings
        self.roleSettings = roleSettings
    }

    enum CodingKeys: String, CodingKey {
        case encoding, collate, ctype, localeProvider = "locale_provider", iculocale, owner, comment
        case connectionLimit = "connection_limit", acl, settings, roleSettings = "role_settings"
    }
}

/// One table's data: one or more COPY streams (parts) whose concatenation, in
/// order, is the table's rows in a stable order.
public struct TableEntry: Codable, Sendable, Equatable {
    public var table: QualifiedName
    public var columns: [String]
    /// "text" or "binary" COPY format.
    public var format: String
    /// Key columns the rows are ordered by; empty for physical (ctid) order.
    public var orderedBy: [String]
    public var parts: [TablePart]
    /// Columns of extension types in a binary COPY (pgvector's `vector`…), with
    /// the extension and version that wrote them: a restore needs that
    /// extension at that version or newer. Absent when there are none.
    public var extensionColumns: [ExtensionColumn]?
    /// Totals saturate: a damaged or hostile manifest must not trap its readers
    /// (the drill then reports the row count as a mismatch).
    public var rows: Int64 { parts.reduce(0) { $0.addingSaturated($1.rows) } }
    public var bytes: Int64 { parts.reduce(0) { $0.addingSaturated($1.bytes) } }

    public init(table: QualifiedName, columns: [String], format: String, orderedBy: [String], parts: [TablePart]) {
        self.table = table
        self.columns = columns
        self.format = format
        self.orderedBy = orderedBy
        self.parts = parts
    }

    enum CodingKeys: String, CodingKey {
        case table, columns, format, orderedBy = "ordered_by", parts, extensionColumns = "extension_columns"
    }
}

/// A column whose type belongs to an extension, copied in binary.
public struct ExtensionColumn: Codable, Sendable, Equatable {
    public var column: String
    /// The type as "schema.name" ("public.vector").
    public var type: String
    public var extensionName: String
    public var extensionVersion: String

    public init(column: String, type: String, extensionName: String, extensionVersion: String) {
        self.column = column
        self.type = type
        self.extensionName = extensionName
        self.extensionVersion = extensionVersion
    }

    enum CodingKeys: String, CodingKey {
        case column, type, extensionName = "extension", extensionVersion = "extension_version"
    }
}

/// One COPY stream of a table (the whole table, or one key/ctid range).
public struct TablePart: Codable, Sendable, Equatable {
    public var rows: Int64
    public var bytes: Int64
    /// Data blobs holding the COPY stream, cut at row ends.
    public var chunks: [ObjectID]
    /// Hex SHA-256 of the COPY stream as dumped; a restore drill recomputes it.
    public var digest: String

    public init(rows: Int64, bytes: Int64, chunks: [ObjectID], digest: String) {
        self.rows = rows
        self.bytes = bytes
        self.chunks = chunks
        self.digest = digest
    }
}

public struct SequenceEntry: Codable, Sendable, Equatable {
    public var sequence: QualifiedName
    public var lastValue: Int64
    public var isCalled: Bool

    public init(sequence: QualifiedName, lastValue: Int64, isCalled: Bool) {
        self.sequence = sequence
        self.lastValue = lastValue
        self.isCalled = isCalled
    }

    enum CodingKeys: String, CodingKey { case sequence, lastValue = "last_value", isCalled = "is_called" }
}

public struct LargeObjectEntry: Codable, Sendable, Equatable {
    public var oid: UInt32
    public var owner: String
    public var bytes: Int64
    public var chunks: [ObjectID]

    public init(oid: UInt32, owner: String, bytes: Int64, chunks: [ObjectID]) {
        self.oid = oid
        self.owner = owner
        self.bytes = bytes
        self.chunks = chunks
    }
}

extension DatabaseManifest {
    /// Every blob the manifest references, labelled by the item it belongs to
    /// (for verify's damage report: "table public.website_event").
    public var referencedBlobs: [(item: String, blobs: [ObjectID])] {
        var items: [(String, [ObjectID])] = [("pre-data", preData), ("post-data", postData)]
        if let schema { items.append(("schema archive", schema.chunks)) }
        for table in tables { items.append(("table \(table.table)", table.parts.flatMap(\.chunks))) }
        for lo in largeObjects { items.append(("large object \(lo.oid)", lo.chunks)) }
        return items
    }
}

extension Int64 {
    func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
