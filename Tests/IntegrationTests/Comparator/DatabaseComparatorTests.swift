import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// The comparator the restore fidelity tests rely on: two databases built
/// alike compare equal, and known changes are each named in one line.
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct DatabaseComparatorTests {
    static let fixture = """
        CREATE TABLE public.c_star (id int PRIMARY KEY, name text);
        INSERT INTO public.c_star SELECT g, 'n' || g FROM generate_series(1, 10) g;
        CREATE SEQUENCE public.s;
        SELECT setval('public.s', 5);
        CREATE FUNCTION public.f(x int) RETURNS int LANGUAGE sql RETURN x + 1;
        CREATE MATERIALIZED VIEW public.mv1 AS SELECT count(*) AS n FROM public.c_star;
        CREATE MATERIALIZED VIEW public.mv2 AS SELECT max(id) AS m FROM public.c_star WITH NO DATA;
        SELECT lo_from_bytea(0, '\\x0102'::bytea);
        """

    @Test func alikeDatabasesCompareEqualAndKnownChangesAreNamed() throws {
        let admin = try #require(try TestPostgres.requireServer())
        let a = try TestPostgres.createScratchDatabase(prefix: "cmp_a")
        let b = try TestPostgres.createScratchDatabase(prefix: "cmp_b")
        defer { try? TestPostgres.dropDatabase(a); try? TestPostgres.dropDatabase(b) }
        for name in [a, b] { try PGConnection.connect(admin.withDatabase(name)).execute(Self.fixture) }
        let db = try PGConnection.connect(admin.withDatabase(b))
        let oid = try #require(db.execute("SELECT oid FROM pg_largeobject_metadata").string(0, 0))
        // The large objects' oids differ between the two databases: give b's the same as a's.
        let aOid = try #require(PGConnection.connect(admin.withDatabase(a)).execute("SELECT oid FROM pg_largeobject_metadata").string(0, 0))
        if aOid != oid { try db.execute("SELECT lo_from_bytea(\(aOid), '\\x0102'::bytea); SELECT lo_unlink(\(oid))") }

        let first = try DatabaseComparator.snapshot(database: a, connection: admin)
        #expect(first.tables["public.c_star"]?.rows == 10)
        #expect(first.schema.keys.contains("TABLE public.c_star"), "\(first.schema.keys.sorted())")
        #expect(first.materializedViews == ["public.mv1": true, "public.mv2": false])
        let same = DatabaseComparator.differences(first, try DatabaseComparator.snapshot(database: b, connection: admin), options: .renamed)
        #expect(same == [])
        let named = DatabaseComparator.differences(first, try DatabaseComparator.snapshot(database: b, connection: admin))
        #expect(named == ["database name: '\(a)' vs '\(b)'"])

        try db.execute("""
            DELETE FROM public.c_star WHERE id = 10;
            ALTER TABLE public.c_star ADD COLUMN extra int;
            UPDATE public.c_star SET name = 'changed' WHERE id = 1;
            SELECT setval('public.s', 6);
            CREATE OR REPLACE FUNCTION public.f(x int) RETURNS int LANGUAGE sql RETURN x + 2;
            COMMENT ON LARGE OBJECT \(aOid) IS 'x';
            GRANT SELECT ON public.c_star TO PUBLIC;
            REFRESH MATERIALIZED VIEW public.mv2;
            ALTER DATABASE \(b) CONNECTION LIMIT 7;
            ALTER DATABASE \(b) SET work_mem = '5MB';
            """)
        let lines = DatabaseComparator.differences(first, try DatabaseComparator.snapshot(database: b, connection: admin), options: .renamed)
        func has(_ prefix: String) -> Bool { lines.contains { $0.hasPrefix(prefix) } }
        #expect(has("schema: TABLE public.c_star differs"), "\(lines)")
        // pg_dump names a function by its argument types only.
        #expect(has("schema: FUNCTION public.f(integer) differs"), "\(lines)")
        #expect(lines.contains("table public.c_star: rows 10 vs 9"), "\(lines)")
        #expect(lines.contains("sequence public.s: 5 true vs 6 true"), "\(lines)")
        #expect(lines.contains("large object \(aOid): comment nil vs 'x'"), "\(lines)")
        #expect(has("acl of relation public.c_star: nil vs"), "\(lines)")
        #expect(lines.contains("matview public.mv2: populated false vs true"), "\(lines)")
        #expect(lines.contains("database connection limit: '-1' vs '7'"), "\(lines)")
        #expect(lines.contains("database settings: 'nil' vs '(all roles): work_mem=5MB'"), "\(lines)")
        #expect(!DatabaseComparator.differences(first, try DatabaseComparator.snapshot(database: b, connection: admin),
                                                options: .init(ignoreDatabaseName: true, ignoreDatabaseSettings: true))
            .contains { $0.hasPrefix("database settings") })

        // A changed value in the same number of rows is found too.
        try PGConnection.connect(admin.withDatabase(a)).execute("DELETE FROM public.c_star WHERE id = 10; UPDATE public.c_star SET name = 'other' WHERE id = 2")
        let content = DatabaseComparator.differences(try DatabaseComparator.snapshot(database: a, connection: admin),
                                                     try DatabaseComparator.snapshot(database: b, connection: admin), options: .renamed)
        #expect(content.contains("table public.c_star: content differs (same 9 rows)") || content.contains { $0.hasPrefix("table public.c_star") }, "\(content)")
    }

    @Test func schemaTextIsSplitAtTOCHeadersAndNormalized() {
        let blocks = DatabaseComparator.schemaBlocks("""
            --
            -- PostgreSQL database dump
            --
            \\restrict abc

            SET statement_timeout = 0;

            --
            -- Name: c_star; Type: TABLE; Schema: public; Owner: postgres
            --

            CREATE TABLE public.c_star (
                id integer
            );


            ALTER TABLE public.c_star OWNER TO postgres;

            --
            -- Name: f(integer); Type: FUNCTION; Schema: public; Owner: alice
            --

            CREATE FUNCTION public.f(integer) RETURNS integer
                LANGUAGE sql
                RETURN ($1 + 1);
            \\unrestrict abc
            """)
        #expect(blocks["preamble"] == "SET statement_timeout = 0;")
        #expect(blocks["TABLE public.c_star"] == "CREATE TABLE public.c_star (\n    id integer\n);\nALTER TABLE public.c_star OWNER TO postgres;")
        #expect(blocks["FUNCTION public.f(integer)"]?.hasSuffix("RETURN ($1 + 1);") == true)
        #expect(blocks.count == 3)
    }
}
