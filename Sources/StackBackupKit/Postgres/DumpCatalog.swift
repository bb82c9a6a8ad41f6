import Foundation

/// One table to dump, as the coordinator plans it.
struct DumpTablePlan: Sendable {
    let oid: Int64
    let name: QualifiedName
    /// Bytes to read: heap and TOAST (`pg_table_size`), which decides splits and
    /// the largest-first order: a table of embeddings is nearly all TOAST.
    var size: Int64 = 0
    /// The main fork alone (`pg_relation_size`), whose blocks ctid ranges divide.
    var heapSize: Int64 = 0
    /// Copied columns (generated columns left out), in attribute order.
    var columns: [DumpColumn] = []
    /// Order key columns and their types (empty: physical order).
    var orderKey: [(name: String, type: String)] = []
    /// Set when an append-ordered column leads `orderKey` (DumpCatalog+OrderLead).
    var orderLead: DumpOrderLead?
    var binary: Bool = false

    /// The columns of extension types a binary COPY carries, for the manifest.
    var extensionColumns: [ExtensionColumn] {
        guard binary else { return [] }
        return columns.compactMap { column in
            guard let ext = column.extensionName else { return nil }
            return ExtensionColumn(column: column.name, type: "\(column.typeSchema).\(column.typeName)",
                                   extensionName: ext, extensionVersion: column.extensionVersion ?? "")
        }
    }
}

/// One copied column and where its type comes from.
struct DumpColumn: Sendable {
    let name: String
    /// `format_type` of the column (with its typmod).
    let type: String
    let typeOID: Int64
    let typeSchema: String
    let typeName: String
    /// The extension owning the type (pg_depend 'e'), nil for others.
    let extensionName: String?
    let extensionVersion: String?

    var binarySafe: Bool {
        BinaryCopyTypes.isSafe(typeOID: typeOID, typeName: typeName, extensionName: extensionName)
    }
}

/// Catalog queries of a dump, all run in the coordinator's snapshot.
struct DumpCatalog {
    let connection: PGConnection

    private func ident(_ s: String) -> String { connection.escapeIdentifier(s) }

    /// Schemas that are never dumped.
    static let systemSchemaFilter = """
        n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
        """

    /// Leaves out objects that belong to an extension (CREATE EXTENSION recreates them).
    static func notExtensionMember(_ alias: String) -> String {
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = \(alias).oid AND d.deptype = 'e')"
    }

    func properties(serverVersion: Int) throws -> DatabaseProperties {
        let locale: String
        switch serverVersion {
        case 170000...: locale = "d.datlocprovider::text, d.datlocale"
        case 150000..<170000: locale = "d.datlocprovider::text, d.daticulocale"
        default: locale = "'c'::text, NULL::text"
        }
        let result = try connection.execute("""
            SELECT pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, \(locale),
                   pg_get_userbyid(d.datdba), shobj_description(d.oid, 'pg_database'), d.datconnlimit, d.datacl::text
            FROM pg_database d WHERE d.datname = current_database()
            """)
        guard result.rowCount == 1 else {
            throw PGError(.protocolError, message: "pg_database has no row for the current database", context: "reading database properties")
        }
        var settings: [String] = []
        var roleSettings: [String: [String]] = [:]
        let rows = try connection.execute("""
            SELECT s.setrole = 0, COALESCE(r.rolname, ''), c.setting
            FROM pg_db_role_setting s
            JOIN pg_database d ON d.oid = s.setdatabase
            LEFT JOIN pg_roles r ON r.oid = s.setrole
            CROSS JOIN LATERAL unnest(s.setconfig) WITH ORDINALITY AS c(setting, ord)
            WHERE d.datname = current_database()
            ORDER BY 2, c.ord
            """)
        for row in 0..<rows.rowCount {
            guard let setting = rows.string(row, 2) else { continue }
            if rows.bool(row, 0) == true {
                settings.append(setting)
            } else if let role = rows.string(row, 1), !role.isEmpty {
                roleSettings[role, default: []].append(setting)
            }
        }
        return DatabaseProperties(
            encoding: result.string(0, 0) ?? "UTF8", collate: result.string(0, 1) ?? "", ctype: result.string(0, 2) ?? "",
            localeProvider: result.string(0, 3) ?? "c", iculocale: result.string(0, 4), owner: result.string(0, 5) ?? "",
            comment: result.string(0, 6), connectionLimit: Int(result.int(0, 7) ?? -1), acl: result.string(0, 8),
            settings: settings, roleSettings: roleSettings)
    }

    func extensions() throws -> [String: String] {
        let result = try connection.execute("SELECT extname, extversion FROM pg_extension")
        var out: [String: String] = [:]
        for row in 0..<result.rowCount {
            if let name = result.string(row, 0) { out[name] = result.string(row, 1) ?? "" }
        }
        return out
    }

    /// Ordinary tables and leaf partitions (never partitioned parents), not
    /// temporary, not owned by an extension; by name (sizes come after locking).
    func tables() throws -> [DumpTablePlan] {
        let result = try connection.execute("""
            SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND \(DumpCatalog.systemSchemaFilter)
              AND \(DumpCatalog.notExtensionMember("c"))
            ORDER BY n.nspname, c.relname
            """)
        return (0..<result.rowCount).compactMap { row in
            guard let oid = result.int(row, 0), let schema = result.string(row, 1), let name = result.string(row, 2) else { return nil }
            return DumpTablePlan(oid: oid, name: QualifiedName(schema: schema, name: name))
        }
    }

    /// `LOCK TABLE … IN ACCESS SHARE MODE` (the session's lock_timeout applies).
    func lock(_ table: QualifiedName, timeout: TimeInterval) throws {
        do {
            try connection.execute("LOCK TABLE \(ident(table.schema)).\(ident(table.name)) IN ACCESS SHARE MODE")
        } catch let error as PGError where error.sqlState == "55P03" {
            throw DumpError.lockTimeout(object: table.description, seconds: timeout)
        }
    }

    /// Fills sizes, columns, order keys and COPY format of `tables`.
    func describe(_ tables: inout [DumpTablePlan]) throws {
        guard !tables.isEmpty else { return }
        let oids = "{" + tables.map { String($0.oid) }.joined(separator: ",") + "}"
        var index: [Int64: Int] = [:]
        for (i, table) in tables.enumerated() { index[table.oid] = i }

        let sizes = try connection.query("SELECT c.oid, pg_table_size(c.oid), pg_relation_size(c.oid) FROM pg_class c WHERE c.oid = ANY($1::oid[])", [oids])
        for row in 0..<sizes.rowCount {
            if let oid = sizes.int(row, 0), let i = index[oid] {
                tables[i].size = sizes.int(row, 1) ?? 0
                tables[i].heapSize = sizes.int(row, 2) ?? 0
            }
        }

        // The extension owning a column's type comes from pg_depend, so a type
        // is recognised by what created it, not by its name alone.
        let columns = try connection.query("""
            SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.atttypid,
                   tn.nspname, t.typname, e.extname, e.extversion
            FROM pg_attribute a
            JOIN pg_type t ON t.oid = a.atttypid
            JOIN pg_namespace tn ON tn.oid = t.typnamespace
            LEFT JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.objsubid = 0
                 AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
            LEFT JOIN pg_extension e ON e.oid = d.refobjid
            WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
            ORDER BY a.attrelid, a.attnum
            """, [oids])
        for row in 0..<columns.rowCount {
            guard let oid = columns.int(row, 0), let i = index[oid], let name = columns.string(row, 1),
                  let type = columns.string(row, 2), let typeOID = columns.int(row, 3),
                  let typeSchema = columns.string(row, 4), let typeName = columns.string(row, 5) else { continue }
            tables[i].columns.append(DumpColumn(name: name, type: type, typeOID: typeOID, typeSchema: typeSchema, typeName: typeName,
                                                extensionName: columns.string(row, 6), extensionVersion: columns.string(row, 7)))
        }
        for i in tables.indices {
            tables[i].binary = !tables[i].columns.isEmpty && tables[i].columns.allSatisfy(\.binarySafe)
        }

        // Unique, valid, non-partial, non-expression indexes; the primary key first.
        let keys = try connection.query("""
            SELECT i.indrelid, i.indexrelid, a.attname, a.attnotnull, format_type(a.atttypid, a.atttypmod)
            FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = ANY($1::oid[]) AND i.indisunique AND i.indisvalid AND i.indislive
              AND i.indpred IS NULL AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts
            ORDER BY i.indrelid, i.indisprimary DESC, i.indnkeyatts, i.indexrelid, k.ord
            """, [oids])
        var candidates: [Int64: [(index: Int64, columns: [(String, String)], usable: Bool)]] = [:]
        for row in 0..<keys.rowCount {
            guard let table = keys.int(row, 0), let indexOID = keys.int(row, 1) else { continue }
            let name = keys.string(row, 2), notNull = keys.bool(row, 3) == true, type = keys.string(row, 4)
            var list = candidates[table, default: []]
            if list.last?.index != indexOID { list.append((indexOID, [], true)) }
            if let name, let type, notNull {
                list[list.count - 1].columns.append((name, type))
            } else {
                list[list.count - 1].usable = false
            }
            candidates[table] = list
        }
        for (table, list) in candidates {
            guard let i = index[table], let key = list.first(where: { $0.usable && !$0.columns.isEmpty }) else { continue }
            tables[i].orderKey = key.columns.map { (name: $0.0, type: $0.1) }
        }
        try addOrderLeads(&tables)
    }

    /// Sequences (not owned by extensions) with their state in this snapshot.
    func sequences(timeout: TimeInterval) throws -> [SequenceEntry] {
        let list = try connection.execute("""
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'S' AND \(DumpCatalog.systemSchemaFilter) AND \(DumpCatalog.notExtensionMember("c"))
            ORDER BY 1, 2
            """)
        var out: [SequenceEntry] = []
        for row in 0..<list.rowCount {
            guard let schema = list.string(row, 0), let name = list.string(row, 1) else { continue }
            let sequence = QualifiedName(schema: schema, name: name)
            let state: PGResult
            do {
                state = try connection.execute("SELECT last_value, is_called FROM \(ident(schema)).\(ident(name))")
            } catch let error as PGError where error.sqlState == "55P03" {
                throw DumpError.lockTimeout(object: sequence.description, seconds: timeout)
            }
            guard let last = state.int(0, 0), let called = state.bool(0, 1) else { continue }
            out.append(SequenceEntry(sequence: sequence, lastValue: last, isCalled: called))
        }
        return out
    }

    /// Materialized views, those that read other materialized views after them.
    func materializedViews() throws -> [QualifiedName] {
        let list = try connection.execute("""
            SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'm' AND \(DumpCatalog.systemSchemaFilter) AND \(DumpCatalog.notExtensionMember("c"))
            ORDER BY c.oid
            """)
        var names: [Int64: QualifiedName] = [:]
        var order: [Int64] = []
        for row in 0..<list.rowCount {
            guard let oid = list.int(row, 0), let schema = list.string(row, 1), let name = list.string(row, 2) else { continue }
            names[oid] = QualifiedName(schema: schema, name: name)
            order.append(oid)
        }
        guard order.count > 1 else { return order.compactMap { names[$0] } }
        // Direct dependencies of a view's rewrite rule on other materialized views.
        let deps = try connection.execute("""
            SELECT DISTINCT r.ev_class, d.refobjid FROM pg_rewrite r
            JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
            JOIN pg_class c ON c.oid = d.refobjid AND c.relkind = 'm'
            WHERE r.ev_class <> d.refobjid
            """)
        var needs: [Int64: Set<Int64>] = [:]
        for row in 0..<deps.rowCount {
            if let view = deps.int(row, 0), let dep = deps.int(row, 1) { needs[view, default: []].insert(dep) }
        }
        var done: Set<Int64> = []
        var sorted: [QualifiedName] = []
        func visit(_ oid: Int64, _ path: Set<Int64>) {
            guard !done.contains(oid), !path.contains(oid) else { return }
            for dep in (needs[oid] ?? []).sorted() where names[dep] != nil { visit(dep, path.union([oid])) }
            done.insert(oid)
            if let name = names[oid] { sorted.append(name) }
        }
        for oid in order { visit(oid, []) }
        return sorted
    }
}
