import Foundation

/// Dumps one database into a `BlobStore` (DESIGN §4): one exported snapshot,
/// schema from pg_dump (one custom-format archive of pre-data and post-data), table data by COPY on
/// `jobs` worker connections that join the snapshot, rows in key order, each
/// stream chunked at row ends as it arrives; sequences, large objects and the
/// list of materialized views from the same snapshot; then the manifest blob.
///
/// `dump` blocks the calling thread; COPY runs on dedicated threads. Every
/// session has `lock_timeout`: a table an application holds locked fails the
/// dump (`DumpError.lockTimeout`) instead of queueing behind it. Nothing is
/// written to the store's snapshot list: the caller saves the snapshot after
/// flushing the store. Not reentrant; use one dumper per database at a time.
public final class DatabaseDumper {
    private let connection: PGConnectionConfig
    private let store: BlobStore
    private let options: DumpOptions
    private let progress: (@Sendable (DumpProgress) -> Void)?

    public init(connection: PGConnectionConfig, store: BlobStore, options: DumpOptions, progress: (@Sendable (DumpProgress) -> Void)? = nil) {
        self.connection = connection
        self.store = store
        self.options = options
        self.progress = progress
    }

    static func milliseconds(_ interval: TimeInterval) -> String {
        "'\(max(1, Int((interval * 1000).rounded())))ms'"
    }

    public func dump(database: String) throws -> DumpResult {
        let started = Date()
        var config = connection.withDatabase(database)
        config.applicationName = connection.applicationName + "-dump"
        let admin: PGConnection
        do {
            admin = try PGConnection.connect(config)
        } catch let error as PGError where error.message.contains("database \"\(database)\" does not exist") {
            throw DumpError.databaseNotFound(database)
        }

        // 1. The snapshot every session of this dump shares.
        try admin.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try admin.execute("SET LOCAL lock_timeout = \(DatabaseDumper.milliseconds(options.lockTimeout)); SET LOCAL statement_timeout = 0; SET LOCAL bytea_output = hex")
        guard let snapshot = try admin.execute("SELECT pg_export_snapshot()").string(0, 0) else {
            throw PGError(.protocolError, message: "pg_export_snapshot() returned nothing", context: "starting the dump of \(database)")
        }
        let info = try admin.execute("SELECT current_setting('server_version'), to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')")
        let versionString = (info.string(0, 0) ?? "").split(separator: " ").first.map(String.init) ?? ""
        let dumpedAt = DatabaseDumper.parseUTC(info.string(0, 1)) ?? Date(timeIntervalSince1970: started.timeIntervalSince1970.rounded(.down))

        let schema = DumpSchema(command: options.pgDump, connection: config, lockTimeout: options.lockTimeout)
        let pgDumpVersion = try schema.checkVersion(serverVersion: admin.serverVersion, serverVersionString: versionString)

        let catalog = DumpCatalog(connection: admin)
        var manifest = DatabaseManifest(database: database, serverVersion: admin.serverVersion, serverVersionString: versionString,
                                        dumpedAt: dumpedAt, properties: try catalog.properties(serverVersion: admin.serverVersion))
        manifest.extensions = try catalog.extensions()
        manifest.databaseSize = try admin.execute("SELECT pg_database_size(current_database())").int(0, 0)

        // 2. Tables: locked before anything reads them, then described.
        var tables = try catalog.tables()
        for table in tables { try catalog.lock(table.name, timeout: options.lockTimeout) }
        try catalog.describe(&tables)
        tables.sort { ($0.size, $1.name.description) > ($1.size, $0.name.description) }

        var items: [DumpWorkItem] = []
        var partCounts: [Int] = []
        for (index, table) in tables.enumerated() {
            let statements = try catalog.copyStatements(for: table, threshold: options.splitThresholdBytes)
            partCounts.append(statements.count)
            let share = table.size / Int64(statements.count)
            for (part, sql) in statements.enumerated() { items.append(DumpWorkItem(table: index, part: part, sql: sql, size: share)) }
        }
        let names = tables.map(\.name.description)
        let results = DumpResults(partCounts: partCounts, names: names, database: database, progress: progress)
        let workers = DumpWorkers(config: config, snapshot: snapshot, options: options, store: store, results: results, tableNames: names)
        let pool = workers.start(count: max(1, min(options.jobs, items.count)), items: items)

        // 3. While the workers copy: schema, sequences, large objects, materialized views.
        var schemaStats = (bytes: Int64(0), added: Int64(0), blobs: 0)
        do {
            let archive = try schema.archive(database: database, snapshot: snapshot)
            let writer = DumpStreamWriter(store: store, parameters: options.chunker, gear: options.gear, rowAligned: false)
            // The archive's header carries its creation time: its first bytes get a chunk of their
            // own, so the rest deduplicates night to night.
            let head = min(archive.count, DumpSchema.archiveHeadBytes)
            try archive.withUnsafeBytes { raw in
                try writer.append(UnsafeRawBufferPointer(rebasing: raw[..<head]))
                try writer.cut()
                try writer.append(UnsafeRawBufferPointer(rebasing: raw[head...]))
            }
            _ = try writer.finish()
            manifest.schema = SchemaArchive(pgDumpVersion: pgDumpVersion, bytes: writer.bytes, chunks: writer.chunks)
            schemaStats.bytes += writer.bytes
            schemaStats.added += writer.bytesAdded
            schemaStats.blobs += writer.blobsAdded
            manifest.sequences = try catalog.sequences(timeout: options.lockTimeout)
            let objects = try DumpLargeObjects(connection: admin, store: store, options: options).dump()
            manifest.largeObjects = objects.entries
            schemaStats.bytes += objects.bytes
            schemaStats.added += objects.bytesAdded
            schemaStats.blobs += objects.blobsAdded
            manifest.materializedViews = try catalog.materializedViews()
            let notNullNames = try NotNullNames.read(admin)
            if !notNullNames.isEmpty { manifest.notNullNames = notNullNames }
        } catch {
            pool.fail(error)
            try? pool.join()
            throw error
        }
        try pool.join()
        try admin.execute("COMMIT")

        // 4. The manifest.
        let parts = results.finishedParts()
        manifest.tables = tables.enumerated().map { index, table in
            var entry = TableEntry(table: table.name, columns: table.columns.map(\.name), format: table.binary ? "binary" : "text",
                                   orderedBy: table.orderKey.map(\.name), parts: parts[index])
            let extensionColumns = table.extensionColumns
            if !extensionColumns.isEmpty { entry.extensionColumns = extensionColumns }
            return entry
        }
        let saved = try store.saveJSON(manifest)

        var stats = SnapshotStats()
        stats.tables = manifest.tables.count
        stats.rows = manifest.tables.reduce(0) { $0 + $1.rows }
        stats.bytesRead = results.bytes + schemaStats.bytes
        stats.bytesTotal = stats.bytesRead
        stats.bytesAdded = results.bytesAdded + schemaStats.added + (saved.isNew ? Int64(saved.storedSize) : 0)
        stats.blobsAdded = results.blobsAdded + schemaStats.blobs + (saved.isNew ? 1 : 0)
        stats.durationSeconds = Date().timeIntervalSince(started)
        return DumpResult(manifestID: saved.id, manifest: manifest, stats: stats, warnings: [])
    }

    static func parseUTC(_ text: String?) -> Date? {
        guard let text else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        // Whole seconds, as the manifest's ISO 8601 JSON stores them.
        return formatter.date(from: String(text.prefix(19)))
    }
}
