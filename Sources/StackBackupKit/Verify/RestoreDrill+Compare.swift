import Foundation

extension RestoreDrill {
    /// Every manifest table: present, the same row count, and the same SHA-256
    /// per part. The table is read back with the dumper's own COPY statement
    /// (`DumpCatalog.copySQL`, built from the manifest's columns, key and
    /// format) over the whole table in key order; the stream is cut into parts
    /// at the manifest's row counts (key ranges are contiguous, so part i is
    /// the i-th run of rows) and each part hashed as the dumper hashed it.
    func compareTables(_ manifest: DatabaseManifest, on connection: PGConnection, notes: inout [String]) throws -> [DrillTableResult] {
        let existing = try connection.execute("""
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'
            """)
        var present: Set<QualifiedName> = []
        for row in 0..<existing.rowCount {
            if let schema = existing.string(row, 0), let name = existing.string(row, 1) {
                present.insert(QualifiedName(schema: schema, name: name))
            }
        }
        let catalog = DumpCatalog(connection: connection)
        var results: [DrillTableResult] = []
        for table in manifest.tables {
            try cancellation.check()
            var result = DrillTableResult(table: table.table.description, rowsExpected: table.rows)
            guard present.contains(table.table) else {
                result.problem = "is missing from the restored copy"
                results.append(result)
                continue
            }
            let plan = DumpTablePlan(oid: 0, name: table.table, size: 0,
                                     columns: table.columns.map { DumpColumn(name: $0, type: "", typeOID: 0, typeSchema: "", typeName: "", extensionName: nil, extensionVersion: nil) },
                                     orderKey: table.orderedBy.map { (name: $0, type: "") },
                                     binary: table.format == "binary")
            let sql = catalog.copySQL(plan, where: "")
            // Rows without a key come back in load order; parts loaded in parallel interleave.
            let comparable = table.orderedBy.isEmpty && table.parts.count > 1 ? false : !table.parts.contains { $0.digest.isEmpty }
            let digester = PartDigester(parts: table.parts, binary: plan.binary, hashing: comparable)
            do {
                _ = try connection.copyOut(sql) { message in digester.consume(message) }
            } catch let error as PGError {
                try cancellation.check()
                result.problem = "could not be read back: \(error.message)"
                results.append(result)
                continue
            }
            let mismatched = digester.finish()
            result.rowsFound = digester.rows
            if comparable { result.digestMatches = mismatched.isEmpty }
            else if table.orderedBy.isEmpty && table.parts.count > 1 {
                notes.append("table \(table.table): no key and \(table.parts.count) parts, so row order is not reproducible; only rows were counted")
            }
            if digester.rows != table.rows {
                result.problem = "has \(digester.rows) rows, the snapshot recorded \(table.rows)"
            } else if !mismatched.isEmpty {
                let which = table.parts.count == 1 ? "its content" : "part(s) " + mismatched.map { String($0 + 1) }.joined(separator: ", ") + " of \(table.parts.count)"
                result.problem = "\(which) differ(s) from the snapshot (SHA-256 of the COPY stream does not match the manifest)"
            }
            results.append(result)
        }
        return results
    }

    struct SchemaComparison {
        var indexes = 0
        var constraints = 0
        var missingIndexes: [String] = []
        var missingConstraints: [String] = []
    }

    /// Every `CREATE INDEX name ON table` and `ALTER TABLE table ADD CONSTRAINT
    /// name` of the post-data the restore ran (for an archive, as pg_restore writes it out), looked up by schema, table and name in
    /// pg_indexes / pg_constraint of the restored copy.
    func compareSchema(_ script: RestoreScript, on connection: PGConnection) throws -> SchemaComparison {
        let wanted = RestoreDrill.namedObjects(in: script)

        func keys(_ sql: String) throws -> Set<String> {
            let result = try connection.execute(sql)
            var out: Set<String> = []
            for row in 0..<result.rowCount {
                if let s = result.string(row, 0), let t = result.string(row, 1), let n = result.string(row, 2) {
                    out.insert(RestoreDrill.key(s, t, n))
                }
            }
            return out
        }
        let indexes = try keys("SELECT schemaname, tablename, indexname FROM pg_indexes")
        let constraints = try keys("""
            SELECT n.nspname, c.relname, co.conname FROM pg_constraint co
            JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            """)
        var comparison = SchemaComparison()
        for object in wanted {
            let key = RestoreDrill.key(object.schema, object.table, object.name)
            let label = "\(object.schema).\(object.table).\(object.name)"
            if object.isIndex {
                comparison.indexes += 1
                if !indexes.contains(key) { comparison.missingIndexes.append(label) }
            } else {
                comparison.constraints += 1
                if !constraints.contains(key) { comparison.missingConstraints.append(label) }
            }
        }
        return comparison
    }

    static func key(_ schema: String, _ table: String, _ name: String) -> String { "\(schema)\u{0}\(table)\u{0}\(name)" }

    struct NamedObject: Equatable {
        var isIndex: Bool
        var schema: String
        var table: String
        var name: String
    }

    /// Indexes and constraints a post-data script creates, with their tables.
    static func namedObjects(in script: RestoreScript) -> [NamedObject] {
        var out: [NamedObject] = []
        for statement in script.statements {
            var tokens = SQLTokens(statement.text)
            switch tokens.nextWord() {
            case "CREATE":
                var word = tokens.nextWord()
                if word == "UNIQUE" { word = tokens.nextWord() }
                guard word == "INDEX", let name = tokens.nextName(), name.uppercased() != "ON",
                      tokens.nextName()?.uppercased() == "ON" else { continue }
                var table = tokens.nextName()
                if table == "ONLY" { table = tokens.nextName() }
                if let table, let (schema, relation) = splitQualified(table) {
                    out.append(NamedObject(isIndex: true, schema: schema, table: relation, name: RestoreScript.unquoteIdentifier(name)))
                }
            case "ALTER":
                guard tokens.nextWord() == "TABLE" else { continue }
                var table = tokens.nextName()
                if table == "ONLY" { table = tokens.nextName() }
                guard let table, tokens.nextWord() == "ADD", tokens.nextWord() == "CONSTRAINT", let name = tokens.nextName(),
                      let (schema, relation) = splitQualified(table) else { continue }
                out.append(NamedObject(isIndex: false, schema: schema, table: relation, name: RestoreScript.unquoteIdentifier(name)))
            default:
                continue
            }
        }
        return out
    }

    /// `public."Mixed Case"` → ("public", "Mixed Case"); an unqualified name is in `public`.
    static func splitQualified(_ text: String) -> (String, String)? {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if c == "\"" {
                if quoted, chars.first == "\"" { current.append("\"\""); chars.removeFirst(); continue }
                quoted.toggle()
                current.append(c)
            } else if c == "." && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        let names = parts.map(RestoreScript.unquoteIdentifier)
        switch names.count {
        case 1: return ("public", names[0])
        case 2: return (names[0], names[1])
        default: return nil
        }
    }
}

/// Hashes one table's COPY stream part by part, cutting at the manifest's row
/// counts. Binary COPY: the first message carries the file header, the last
/// is the trailer; each dumped part had its own, so both are added to every part.
final class PartDigester {
    private let parts: [TablePart]
    private let binary: Bool
    private let hashing: Bool
    private var hasher: SHA256Hasher? = SHA256Hasher()
    private var header: [UInt8]?
    private var index = 0
    private var rowsInPart: Int64 = 0
    private(set) var rows: Int64 = 0
    private var mismatched: [Int] = []
    private static let trailer: [UInt8] = [0xFF, 0xFF]

    init(parts: [TablePart], binary: Bool, hashing: Bool) {
        self.parts = parts
        self.binary = binary
        self.hashing = hashing
    }

    func consume(_ message: UnsafeRawBufferPointer) {
        var row = message
        if binary && header == nil {
            // 11-byte signature, 32-bit flags, 32-bit extension length, extension.
            var length = min(message.count, 19)
            if message.count >= 19 {
                let ext = Int(message[15]) << 24 | Int(message[16]) << 16 | Int(message[17]) << 8 | Int(message[18])
                length = min(message.count, 19 + max(0, ext))
            }
            let bytes = Array(UnsafeRawBufferPointer(rebasing: message[..<length]))
            header = bytes
            if hashing { hasher?.update(bytes) }
            row = UnsafeRawBufferPointer(rebasing: message[length...])
            if row.isEmpty { return }
        }
        if binary && row.count == 2 && row[0] == 0xFF && row[1] == 0xFF { return }
        while index < parts.count && rowsInPart >= parts[index].rows { finishPart() }
        if hashing && index < parts.count { hasher?.update(row) }
        rowsInPart += 1
        rows += 1
    }

    /// Closes the remaining parts; returns the indexes of parts whose digest differs.
    func finish() -> [Int] {
        while index < parts.count { finishPart() }
        return mismatched
    }

    private func finishPart() {
        if hashing, var current = hasher.take() {
            if binary { current.update(PartDigester.trailer) }
            if current.finalize().hex != parts[index].digest || rowsInPart != parts[index].rows { mismatched.append(index) }
        }
        index += 1
        rowsInPart = 0
        if hashing && index < parts.count {
            hasher = SHA256Hasher()
            if binary, let header { hasher?.update(header) }
        }
    }
}
