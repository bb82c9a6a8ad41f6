import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Tables whose unique key is scattered (random uuids) are dumped in the order
/// of an append-ordered indexed column, then the key.
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct DumpOrderLeadTests {
    /// `ev`: uuid key in hash order, `created_at` in insertion order with a
    /// NULL every 50th row; `log`: serial key, already in insertion order.
    private func createTables(_ db: PGConnectionConfig) throws {
        try PGConnection.connect(db).execute("""
            CREATE TABLE ev (id uuid PRIMARY KEY, created_at timestamptz, body text NOT NULL);
            CREATE INDEX ev_created_at_idx ON ev (created_at);
            INSERT INTO ev SELECT md5('ev' || i)::uuid,
                   CASE WHEN i % 50 <> 0 THEN timestamptz '\(StackFixtures.epoch)' + (i / 3) * interval '1 second' END,
                   'event ' || i || repeat(' padding', 10)
            FROM generate_series(1, 20000) AS i;
            CREATE TABLE log (id serial PRIMARY KEY, created_at timestamptz NOT NULL, line text);
            CREATE INDEX log_created_at_idx ON log (created_at);
            INSERT INTO log (created_at, line) SELECT timestamptz '\(StackFixtures.epoch)' + i * interval '1 second', 'line ' || i
            FROM generate_series(1, 5000) AS i;
            ANALYZE;
            """)
    }

    @Test func scatteredKeyIsLedByTheAppendOrderedColumnAndSerialKeysAreLeftAlone() throws {
        let server = try #require(try TestPostgres.requireServer())
        try TestPostgres.withScratchDatabase(prefix: "dump_lead") { db in
            try createTables(db)
            let store = DumpTestStore()
            let manifest = try DatabaseDumper(connection: server, store: store, options: dumpOptions()).dump(database: db.database ?? "").manifest
            let byName = Dictionary(uniqueKeysWithValues: manifest.tables.map { ($0.table.name, $0) })
            #expect(byName["ev"]?.orderedBy == ["created_at", "id"])
            #expect(byName["log"]?.orderedBy == ["id"])

            // The stream is in created_at order, ties by id, NULLs last.
            let ev = try #require(byName["ev"])
            let lines = try store.text(ev.parts.flatMap(\.chunks)).split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.count == 20000)
            let keys = lines.map { line -> (String, String) in
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                return (String(fields[1]), String(fields[0]))
            }
            let nonNull = keys.prefix { $0.0 != "\\N" }
            #expect(nonNull.count == 20000 - 400)
            #expect(keys.dropFirst(nonNull.count).allSatisfy { $0.0 == "\\N" })
            #expect(zip(nonNull, nonNull.dropFirst()).allSatisfy { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) })
        }
    }

    @Test func splitPartsOfALedTableConcatenateToTheWholeStreamWithNullsInTheLastPart() throws {
        let server = try #require(try TestPostgres.requireServer())
        try TestPostgres.withScratchDatabase(prefix: "dump_lead_split") { db in
            try createTables(db)
            let store = DumpTestStore()
            let whole = try DatabaseDumper(connection: server, store: store, options: dumpOptions()).dump(database: db.database ?? "").manifest
            let split = try DatabaseDumper(connection: server, store: store, options: dumpOptions(jobs: 2, split: 256 << 10))
                .dump(database: db.database ?? "").manifest
            let full = try #require(whole.tables.first { $0.table.name == "ev" })
            let parts = try #require(split.tables.first { $0.table.name == "ev" })
            #expect(parts.parts.count > 2)
            #expect(parts.orderedBy == ["created_at", "id"])
            #expect(parts.parts.last?.rows == 400)
            #expect(parts.rows == 20000)
            #expect(try store.stream(parts.parts.flatMap(\.chunks)) == store.stream(full.parts.flatMap(\.chunks)))
        }
    }
}
