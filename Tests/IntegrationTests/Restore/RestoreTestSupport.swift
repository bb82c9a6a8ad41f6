import Foundation
import StackBackupKit
import StackBackupTestSupport

/// An in-memory blob store for restore tests (ids are plain SHA-256).
final class RestoreTestStore: BlobStore, @unchecked Sendable {
    private let lock = NSLock()
    private var blobs: [ObjectID: [UInt8]] = [:]

    func saveBlob(_ type: BlobType, bytes: UnsafeRawBufferPointer) throws -> SavedBlob {
        let id = SHA256.hash(bytes)
        let isNew = lock.withLock { () -> Bool in
            if blobs[id] != nil { return false }
            blobs[id] = Array(bytes)
            return true
        }
        return SavedBlob(id: id, isNew: isNew, storedSize: isNew ? bytes.count : 0)
    }

    func loadBlob(_ type: BlobType, id: ObjectID) throws -> [UInt8] {
        guard let bytes = lock.withLock({ blobs[id] }) else {
            throw RepositoryError(.notFound, "blob \(id.short) is not in the repository")
        }
        return bytes
    }

    func hasBlob(_ type: BlobType, id: ObjectID) -> Bool { lock.withLock { blobs[id] != nil } }

    /// Replaces a blob's bytes (to simulate damage that got past verification).
    func overwrite(_ id: ObjectID, with bytes: [UInt8]) { lock.withLock { blobs[id] = bytes } }
    func remove(_ id: ObjectID) { _ = lock.withLock { blobs.removeValue(forKey: id) } }
}

/// Builds a `DatabaseManifest` from a live database the simple way (pg_dump
/// for DDL, one COPY per table, no snapshot), standing in for the dumper in
/// restore tests.
enum RestoreManifestBuilder {
    static func build(database: String, admin: PGConnectionConfig, store: BlobStore,
                      binaryTables: Set<String> = [], rowsPerChunk: Int = 500) throws -> DatabaseManifest {
        let connection = try PGConnection.connect(admin.withDatabase(database))
        let version = try connection.execute("SELECT current_setting('server_version_num')::int, current_setting('server_version')")
        let props = try connection.query("""
            SELECT pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, d.datlocprovider::text, d.daticulocale,
                   pg_get_userbyid(d.datdba), shobj_description(d.oid, 'pg_database'), d.datconnlimit, d.datacl::text,
                   (SELECT array_to_string(s.setconfig, E'\\x01') FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0)
            FROM pg_database d WHERE d.datname = $1
            """, [database])
        var roleSettings: [String: [String]] = [:]
        let rs = try connection.query("""
            SELECT pg_get_userbyid(s.setrole), array_to_string(s.setconfig, E'\\x01') FROM pg_db_role_setting s
            JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1 AND s.setrole <> 0
            """, [database])
        for row in 0..<rs.rowCount {
            roleSettings[rs.string(row, 0)!] = rs.string(row, 1)!.split(separator: "\u{01}").map(String.init)
        }
        let properties = DatabaseProperties(
            encoding: props.string(0, 0)!, collate: props.string(0, 1)!, ctype: props.string(0, 2)!,
            localeProvider: props.string(0, 3)!, iculocale: props.string(0, 4), owner: props.string(0, 5)!,
            comment: props.string(0, 6), connectionLimit: Int(props.int(0, 7)!), acl: props.string(0, 8),
            settings: props.string(0, 9)?.split(separator: "\u{01}").map(String.init) ?? [], roleSettings: roleSettings)
        var manifest = DatabaseManifest(database: database, serverVersion: Int(version.int(0, 0)!),
                                        serverVersionString: version.string(0, 1)!, dumpedAt: Date(), properties: properties)
        manifest.preData = [try store.saveBlob(.data, bytes: pgDump(database, section: "pre-data")).id]
        manifest.postData = [try store.saveBlob(.data, bytes: pgDump(database, section: "post-data")).id]

        let tables = try connection.execute("""
            SELECT n.nspname, c.relname,
                   (SELECT array_to_string(array_agg(a.attname ORDER BY a.attnum), E'\\x01') FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            ORDER BY 1, 2
            """)
        for row in 0..<tables.rowCount {
            let name = QualifiedName(schema: tables.string(row, 0)!, name: tables.string(row, 1)!)
            let columns = tables.string(row, 2)!.split(separator: "\u{01}").map(String.init)
            let binary = binaryTables.contains(name.description)
            let quoted = connection.escapeIdentifier(name.schema) + "." + connection.escapeIdentifier(name.name)
            let columnList = columns.map(connection.escapeIdentifier).joined(separator: ", ")
            var chunks: [ObjectID] = []
            var buffer: [UInt8] = []
            var inChunk = 0
            var bytes: Int64 = 0
            let rows = try connection.copyOut("COPY \(quoted) (\(columnList)) TO STDOUT\(binary ? " WITH (FORMAT binary)" : "")") { piece in
                buffer.append(contentsOf: piece)
                bytes += Int64(piece.count)
                inChunk += 1
                if inChunk >= rowsPerChunk {
                    chunks.append(try store.saveBlob(.data, bytes: buffer).id)
                    buffer.removeAll(keepingCapacity: true)
                    inChunk = 0
                }
            }
            if !buffer.isEmpty { chunks.append(try store.saveBlob(.data, bytes: buffer).id) }
            let part = TablePart(rows: rows, bytes: bytes, chunks: chunks, digest: "")
            manifest.tables.append(TableEntry(table: name, columns: columns, format: binary ? "binary" : "text",
                                              orderedBy: [], parts: rows == 0 && chunks.isEmpty ? [] : [part]))
        }
        let sequences = try connection.execute("SELECT schemaname, sequencename, coalesce(last_value, 1), last_value IS NOT NULL FROM pg_sequences")
        for row in 0..<sequences.rowCount {
            manifest.sequences.append(SequenceEntry(sequence: QualifiedName(schema: sequences.string(row, 0)!, name: sequences.string(row, 1)!),
                                                    lastValue: sequences.int(row, 2)!, isCalled: sequences.bool(row, 3)!))
        }
        let los = try connection.execute("SELECT oid::bigint, pg_get_userbyid(lomowner) FROM pg_largeobject_metadata ORDER BY oid")
        for row in 0..<los.rowCount {
            let oid = los.int(row, 0)!
            let hex = try connection.query("SELECT encode(lo_get($1::oid), 'hex')", [String(oid)]).string(0, 0) ?? ""
            let digits = Array(hex.utf8).map { $0 <= 57 ? $0 - 48 : $0 - 87 }
            let data = stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
            let id = try store.saveBlob(.data, bytes: data).id
            manifest.largeObjects.append(LargeObjectEntry(oid: UInt32(oid), owner: los.string(row, 1)!, bytes: Int64(data.count), chunks: [id]))
        }
        let views = try connection.execute("SELECT schemaname, matviewname FROM pg_matviews ORDER BY 1, 2")
        for row in 0..<views.rowCount {
            manifest.materializedViews.append(QualifiedName(schema: views.string(row, 0)!, name: views.string(row, 1)!))
        }
        let extensions = try connection.execute("SELECT extname, extversion FROM pg_extension")
        for row in 0..<extensions.rowCount { manifest.extensions[extensions.string(row, 0)!] = extensions.string(row, 1)! }
        return manifest
    }

    static func pgDump(_ database: String, section: String) throws -> [UInt8] {
        try run(["pg_dump", "--schema-only", "--section=\(section)", "--dbname=\(database)"])
    }

    static func run(_ arguments: [String]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RepositoryError(.other, "\(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return [UInt8](data)
    }
}

/// Compares two databases: schema, per-table content, sequences, large objects, properties.
enum RestoreComparison {
    /// pg_dump --schema-only without comments, blank lines and psql meta lines.
    static func schema(_ database: String) throws -> String {
        let text = String(decoding: try RestoreManifestBuilder.run(["pg_dump", "--schema-only", "--dbname=\(database)"]), as: UTF8.self)
        return text.split(separator: "\n").filter { !$0.hasPrefix("--") && !$0.hasPrefix("\\") && !$0.isEmpty }.joined(separator: "\n")
    }

    /// "schema.table count md5" per table, sorted.
    static func content(_ database: String, admin: PGConnectionConfig) throws -> [String] {
        let connection = try PGConnection.connect(admin.withDatabase(database))
        let tables = try connection.execute("""
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1
            """)
        var out: [String] = []
        for row in 0..<tables.rowCount {
            let name = tables.string(row, 0)!
            let r = try connection.execute("SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM \(name) t")
            out.append("\(name) \(r.int(0, 0)!) \(r.string(0, 1) ?? "-")")
        }
        let seqs = try connection.execute("SELECT schemaname || '.' || sequencename || ' ' || coalesce(last_value::text, 'null') FROM pg_sequences ORDER BY 1")
        for row in 0..<seqs.rowCount { out.append("sequence " + seqs.string(row, 0)!) }
        let los = try connection.execute("SELECT oid::text || ' ' || pg_get_userbyid(lomowner) || ' ' || md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid")
        for row in 0..<los.rowCount { out.append("large object " + los.string(row, 0)!) }
        return out
    }

    /// Database-level properties (not the name).
    static func properties(_ database: String, admin: PGConnectionConfig) throws -> [String] {
        let connection = try PGConnection.connect(admin.withDatabase("postgres"))
        let r = try connection.query("""
            SELECT pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, d.datlocprovider::text, coalesce(d.daticulocale, ''),
                   pg_get_userbyid(d.datdba), coalesce(shobj_description(d.oid, 'pg_database'), ''), d.datconnlimit::text,
                   coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(d.datacl) a), 'null'),
                   coalesce((SELECT string_agg(coalesce(pg_get_userbyid(s.setrole), '-') || ':' || array_to_string(s.setconfig, ';'), ' ' ORDER BY s.setrole)
                             FROM pg_db_role_setting s WHERE s.setdatabase = d.oid), '')
            FROM pg_database d WHERE d.datname = $1
            """, [database])
        return (0..<r.columnCount).map { r.string(0, $0) ?? "null" }
    }

    static func databaseExists(_ name: String, admin: PGConnectionConfig) throws -> Bool {
        let connection = try PGConnection.connect(admin.withDatabase("postgres"))
        return try connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]).rowCount > 0
    }

    static func databases(like prefix: String, admin: PGConnectionConfig) throws -> [String] {
        let connection = try PGConnection.connect(admin.withDatabase("postgres"))
        let r = try connection.query("SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1", [prefix])
        return (0..<r.rowCount).map { r.string($0, 0)! }
    }
}
