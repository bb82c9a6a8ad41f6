import Foundation
import StackBackupKit

/// Everything `DatabaseComparator` captured of one database.
public struct DatabaseState: Sendable, Equatable {
    public var database: String
    /// Normalized `pg_dump --schema-only` text per TOC entry, keyed
    /// "TYPE schema.name" (e.g. "TABLE public.c_star", "FUNCTION public.f(integer)",
    /// "COMMENT public.TABLE x"); "preamble" holds what precedes the first entry.
    public var schema: [String: String]
    /// "schema.table" (quoted as `quote_ident` does) → (rows, md5 of the sorted row texts),
    /// for tables, partitioned tables and populated materialized views.
    public var tables: [String: TableDigest]
    /// "schema.sequence" → "last_value is_called".
    public var sequences: [String: String]
    public var largeObjects: [UInt32: LargeObjectState]
    /// "KIND schema.name" → ACL text with role names (relations, columns, functions,
    /// schemas, types, default privileges); only objects with a non-default ACL.
    public var acls: [String: String]
    /// Database properties: encoding, collate, ctype, owner, connection limit,
    /// comment, acl, settings (name itself under "name").
    public var properties: [String: String]
    /// "schema.matview" → relispopulated.
    public var materializedViews: [String: Bool]

    public struct TableDigest: Sendable, Equatable, CustomStringConvertible {
        public var rows: Int64
        public var md5: String
        public var description: String { "\(rows) rows, md5 \(md5)" }
    }

    public struct LargeObjectState: Sendable, Equatable {
        public var owner: String
        public var acl: String?
        public var comment: String?
        public var md5: String
    }
}

/// An independent comparison of two databases, for restore tests: it reads
/// both with `pg_dump --schema-only` and plain catalog queries only (none of
/// the dumper's or restorer's code) and names each difference in one line.
///
///     let a = try DatabaseComparator.snapshot(database: "app", connection: admin)
///     let b = try DatabaseComparator.snapshot(database: "app_copy", connection: admin)
///     #expect(DatabaseComparator.differences(a, b, options: .renamed) == [])
public enum DatabaseComparator {
    public struct Options: Sendable {
        /// Do not compare the database names.
        public var ignoreDatabaseName: Bool
        /// Do not compare database-level settings (pg_db_role_setting).
        public var ignoreDatabaseSettings: Bool

        public init(ignoreDatabaseName: Bool = false, ignoreDatabaseSettings: Bool = false) {
            self.ignoreDatabaseName = ignoreDatabaseName
            self.ignoreDatabaseSettings = ignoreDatabaseSettings
        }

        /// Everything but the name: a restore under a new name.
        public static let renamed = Options(ignoreDatabaseName: true)
        /// Everything, name included.
        public static let exact = Options()
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Captures `database` on the server of `connection` (its host, port and user;
    /// its database is ignored). `pgDump` reads the schema: the server's own for a
    /// server newer than the pg_dump on PATH, one program for two servers compared.
    public static func snapshot(database: String, connection config: PGConnectionConfig,
                                pgDump: String = "pg_dump") throws -> DatabaseState {
        let db = try PGConnection.connect(config.withDatabase(database))
        var state = DatabaseState(database: database, schema: [:], tables: [:], sequences: [:], largeObjects: [:],
                                  acls: [:], properties: [:], materializedViews: [:])
        state.schema = schemaBlocks(try pgDumpSchema(database: database, config: config, pgDump: pgDump))

        let userSchemas = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
        let relations = try db.execute("""
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text, c.relispopulated
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'm', 'S') AND \(userSchemas) ORDER BY 1
            """)
        for row in 0..<relations.rowCount {
            let name = relations.string(row, 0)!
            let kind = relations.string(row, 1)!
            let populated = relations.bool(row, 2) ?? false
            switch kind {
            case "S":
                let r = try db.execute("SELECT last_value::text, is_called::text FROM \(name)")
                state.sequences[name] = "\(r.string(0, 0) ?? "null") \(r.string(0, 1) ?? "null")"
            case "m" where !populated:
                state.materializedViews[name] = false
            default:
                if kind == "m" { state.materializedViews[name] = true }
                let r = try db.execute("SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \(name) t")
                state.tables[name] = .init(rows: r.int(0, 0) ?? -1, md5: r.string(0, 1) ?? "")
            }
        }

        let los = try db.execute("""
            SELECT m.oid::bigint, pg_catalog.pg_get_userbyid(m.lomowner), m.lomacl::text,
                   pg_catalog.obj_description(m.oid, 'pg_largeobject'), md5(pg_catalog.lo_get(m.oid))
            FROM pg_catalog.pg_largeobject_metadata m ORDER BY 1
            """)
        for row in 0..<los.rowCount {
            state.largeObjects[UInt32(los.int(row, 0)!)] = .init(owner: los.string(row, 1) ?? "", acl: los.string(row, 2),
                                                                comment: los.string(row, 3), md5: los.string(row, 4) ?? "")
        }

        // aclitem's text form names roles (grantee=privileges/grantor).
        let acls = try db.execute("""
            SELECT 'relation ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relacl::text
              FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relacl IS NOT NULL AND \(userSchemas)
            UNION ALL
            SELECT 'column ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(a.attname), a.attacl::text
              FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE a.attacl IS NOT NULL AND \(userSchemas)
            UNION ALL
            SELECT 'function ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', p.proacl::text
              FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
             WHERE p.proacl IS NOT NULL AND \(userSchemas)
            UNION ALL
            SELECT 'schema ' || quote_ident(n.nspname), n.nspacl::text
              FROM pg_catalog.pg_namespace n WHERE n.nspacl IS NOT NULL AND \(userSchemas)
            UNION ALL
            SELECT 'type ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname), t.typacl::text
              FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
             WHERE t.typacl IS NOT NULL AND \(userSchemas)
            UNION ALL
            SELECT 'default privileges ' || coalesce(pg_catalog.pg_get_userbyid(d.defaclrole), '?') || ' '
                   || coalesce((SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = d.defaclnamespace), '*') || ' ' || d.defaclobjtype::text,
                   d.defaclacl::text
              FROM pg_catalog.pg_default_acl d
            """)
        for row in 0..<acls.rowCount { state.acls[acls.string(row, 0)!] = acls.string(row, 1) ?? "" }

        let props = try db.query("""
            SELECT d.datname, pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype,
                   pg_catalog.pg_get_userbyid(d.datdba), d.datconnlimit::text,
                   pg_catalog.shobj_description(d.oid, 'pg_database'), d.datacl::text,
                   (SELECT string_agg(coalesce(pg_catalog.pg_get_userbyid(NULLIF(s.setrole, 0)), '(all roles)') || ': '
                                      || array_to_string(s.setconfig, ', '), '; ' ORDER BY 1)
                      FROM pg_catalog.pg_db_role_setting s WHERE s.setdatabase = d.oid)
            FROM pg_catalog.pg_database d WHERE d.datname = $1
            """, [database])
        guard props.rowCount == 1 else { throw Failure(description: "database \(database) does not exist") }
        for (index, key) in ["name", "encoding", "collate", "ctype", "owner", "connection limit", "comment", "acl", "settings"].enumerated() {
            state.properties[key] = props.string(0, index) ?? "nil"
        }
        return state
    }

    /// One line per difference between `a` and `b`, sorted by kind: database
    /// properties, schema, tables, sequences, large objects, ACLs, matviews.
    public static func differences(_ a: DatabaseState, _ b: DatabaseState, options: Options = .exact) -> [String] {
        var out: [String] = []
        for key in ["name", "encoding", "collate", "ctype", "owner", "connection limit", "comment", "acl", "settings"] {
            if key == "name" && options.ignoreDatabaseName { continue }
            if key == "settings" && options.ignoreDatabaseSettings { continue }
            let x = a.properties[key] ?? "nil", y = b.properties[key] ?? "nil"
            if x != y { out.append("database \(key): \(show(x)) vs \(show(y))") }
        }
        compare(a.schema, b.schema, into: &out) { key, x, y in
            switch (x, y) {
            case (let x?, let y?): return "schema: \(key) differs (\(firstDifference(x, y)))"
            case (nil, _): return "schema: \(key) missing from \(a.database)"
            default: return "schema: \(key) missing from \(b.database)"
            }
        }
        compare(a.tables, b.tables, into: &out) { key, x, y in
            switch (x, y) {
            case (let x?, let y?) where x.rows != y.rows: return "table \(key): rows \(x.rows) vs \(y.rows)"
            case (_?, _?): return "table \(key): content differs (same \(x!.rows) rows)"
            case (nil, _): return "table \(key): missing from \(a.database) (or not populated)"
            default: return "table \(key): missing from \(b.database) (or not populated)"
            }
        }
        compare(a.sequences, b.sequences, into: &out) { key, x, y in "sequence \(key): \(x ?? "missing") vs \(y ?? "missing")" }
        for oid in Set(a.largeObjects.keys).union(b.largeObjects.keys).sorted() {
            switch (a.largeObjects[oid], b.largeObjects[oid]) {
            case (let x?, let y?):
                if x.owner != y.owner { out.append("large object \(oid): owner \(x.owner) vs \(y.owner)") }
                if x.acl != y.acl { out.append("large object \(oid): acl \(show(x.acl)) vs \(show(y.acl))") }
                if x.comment != y.comment { out.append("large object \(oid): comment \(show(x.comment)) vs \(show(y.comment))") }
                if x.md5 != y.md5 { out.append("large object \(oid): data differs") }
            case (nil, _): out.append("large object \(oid): missing from \(a.database)")
            default: out.append("large object \(oid): missing from \(b.database)")
            }
        }
        compare(a.acls, b.acls, into: &out) { key, x, y in "acl of \(key): \(show(x)) vs \(show(y))" }
        compare(a.materializedViews, b.materializedViews, into: &out) { key, x, y in
            "matview \(key): populated \(x.map(String.init) ?? "missing") vs \(y.map(String.init) ?? "missing")"
        }
        return out
    }

    /// `differences` of two databases on one server.
    public static func differences(_ a: String, _ b: String, connection: PGConnectionConfig, options: Options = .renamed) throws -> [String] {
        differences(try snapshot(database: a, connection: connection), try snapshot(database: b, connection: connection), options: options)
    }

    // MARK: - Schema text

    /// pg_dump's text split at its TOC headers
    /// (`-- Name: X; Type: Y; Schema: Z; Owner: W`), normalized: comment lines,
    /// `\restrict`/`\unrestrict` lines and blank lines dropped.
    public static func schemaBlocks(_ text: String) -> [String: String] {
        var blocks: [String: String] = [:]
        var key = "preamble"
        var lines: [Substring] = []
        func flush() {
            let body = lines.joined(separator: "\n")
            lines = []
            guard !body.isEmpty || key != "preamble" else { return }
            var unique = key
            var n = 2
            while blocks[unique] != nil { unique = "\(key) #\(n)"; n += 1 }
            blocks[unique] = body
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- Name: "), let header = parseHeader(line) {
                flush()
                key = header
                continue
            }
            if line.hasPrefix("--") || line.hasPrefix("\\restrict") || line.hasPrefix("\\unrestrict") { continue }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            lines.append(line)
        }
        flush()
        return blocks
    }

    /// "TYPE schema.name" from a TOC header line (the owner left out: it is in the block's text).
    static func parseHeader(_ line: Substring) -> String? {
        var fields: [String: String] = [:]
        for part in line.dropFirst(3).components(separatedBy: "; ") {
            guard let colon = part.range(of: ": ") else { continue }
            fields[String(part[..<colon.lowerBound])] = String(part[colon.upperBound...])
        }
        guard let name = fields["Name"], let type = fields["Type"] else { return nil }
        let schema = fields["Schema"].flatMap { $0 == "-" ? nil : $0 }
        return "\(type) " + (schema.map { "\($0)." } ?? "") + name
    }

    static func pgDumpSchema(database: String, config: PGConnectionConfig, pgDump: String = "pg_dump") throws -> String {
        String(decoding: try PGClient.run([pgDump, "--schema-only", "--no-password", "--dbname=\(database)"], server: config), as: UTF8.self)
    }

    // MARK: - Helpers

    private static func compare<V: Equatable>(_ a: [String: V], _ b: [String: V], into out: inout [String],
                                              _ describe: (String, V?, V?) -> String) {
        for key in Set(a.keys).union(b.keys).sorted() where a[key] != b[key] {
            out.append(describe(key, a[key], b[key]))
        }
    }

    private static func show(_ value: String?) -> String {
        guard let value else { return "nil" }
        return "'" + value + "'"
    }

    /// The first line where two blocks differ, shortened.
    static func firstDifference(_ x: String, _ y: String) -> String {
        let xs = x.split(separator: "\n", omittingEmptySubsequences: false)
        let ys = y.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(xs.count, ys.count) {
            let l = index < xs.count ? String(xs[index]) : "<end>"
            let r = index < ys.count ? String(ys[index]) : "<end>"
            if l != r { return "line \(index + 1): '\(l.prefix(100))' vs '\(r.prefix(100))'" }
        }
        return "?"
    }
}

