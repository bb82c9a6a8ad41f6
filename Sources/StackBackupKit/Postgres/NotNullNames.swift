/// PostgreSQL 18 names its NOT NULL constraints, and its pg_dump leaves out
/// a name that looks like the default (`<table>_<column>_not_null`). When
/// another table of the schema carries that name explicitly (a table rebuilt
/// and renamed, as Authelia's migrations do), the reload picks
/// `…_not_null1` instead, and pg_restore brings it back renamed. The dump
/// records every such name, and the restore puts the recorded ones back
/// after pre-data.
public struct NotNullName: Codable, Sendable, Equatable {
    public var table: QualifiedName
    public var column: String
    public var name: String

    public init(table: QualifiedName, column: String, name: String) {
        self.table = table
        self.column = column
        self.name = name
    }
}

enum NotNullNames {
    /// The first server version with named NOT NULL constraints.
    static let firstServerVersion = 180000

    /// Local (not inherited) NOT NULL constraints of user tables, by table and column.
    static func read(_ connection: PGConnection) throws -> [NotNullName] {
        guard connection.serverVersion >= firstServerVersion else { return [] }
        let result = try connection.execute("""
            SELECT n.nspname, c.relname, a.attname, co.conname
            FROM pg_catalog.pg_constraint co
            JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = co.conkey[1]
            WHERE co.contype = 'n' AND co.coninhcount = 0 AND c.relkind IN ('r', 'p', 'f')
              AND \(DumpCatalog.systemSchemaFilter) AND \(DumpCatalog.notExtensionMember("c"))
            ORDER BY 1, 2, 3
            """)
        return (0..<result.rowCount).compactMap { row in
            guard let schema = result.string(row, 0), let table = result.string(row, 1),
                  let column = result.string(row, 2), let name = result.string(row, 3) else { return nil }
            return NotNullName(table: QualifiedName(schema: schema, name: table), column: column, name: name)
        }
    }

    /// `ALTER TABLE … RENAME CONSTRAINT` statements that give the restored
    /// constraints their recorded names.
    static func renames(recorded: [NotNullName], restored: [NotNullName], quote: (String) -> String) -> [String] {
        struct Key: Hashable { let table: QualifiedName; let column: String }
        var now: [Key: String] = [:]
        for entry in restored { now[Key(table: entry.table, column: entry.column)] = entry.name }
        return recorded.compactMap { want in
            guard let have = now[Key(table: want.table, column: want.column)], have != want.name else { return nil }
            return "ALTER TABLE \(quote(want.table.schema)).\(quote(want.table.name)) RENAME CONSTRAINT \(quote(have)) TO \(quote(want.name))"
        }
    }
}

extension DatabaseRestorer {
    /// After pre-data: NOT NULL constraints whose names the reload changed get
    /// their recorded names back (PostgreSQL 18 and newer on both sides).
    func restoreNotNullNames(on scratch: PGConnection) throws {
        guard let recorded = manifest.notNullNames, !recorded.isEmpty,
              scratch.serverVersion >= NotNullNames.firstServerVersion else { return }
        let restored = try NotNullNames.read(scratch)
        for statement in NotNullNames.renames(recorded: recorded, restored: restored, quote: scratch.escapeIdentifier) {
            do {
                try scratch.execute(statement)
            } catch {
                throw StepFailure(step: "not-null constraint names (\(statement))", table: nil, underlying: error)
            }
        }
    }
}
