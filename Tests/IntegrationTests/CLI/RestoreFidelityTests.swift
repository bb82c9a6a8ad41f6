import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Restores through the real binary compared with their source by the
/// independent `DatabaseComparator`: `backup db`, `restore DB --into NEW` (and
/// --table, --no-owner, --replace), `verify --restore-drill`, and a snapshot
/// whose restore PostgreSQL rejects.
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct RestoreFidelityTests {
    /// A source database filled by `sql`, backed up with `backup db` into its own repository.
    final class Source {
        let admin: PGConnectionConfig
        let name: String
        let cli: CLIRepository
        var extraDatabases: [String] = []

        /// `prefix` should differ from the other tests' in its first 11 characters
        /// (the drill's scratch name keeps only the start of the database's).
        init(_ prefix: String, sql: String, backup: Bool = true) throws {
            admin = try #require(try TestPostgres.requireServer()).withDatabase("postgres")
            name = try TestPostgres.createScratchDatabase(prefix: prefix)
            cli = try CLIRepository("stackbackup-fidelity")
            do {
                try PGConnection.connect(admin.withDatabase(name)).execute(sql)
                if backup { try self.backup() }
            } catch {
                drop()
                throw error
            }
        }

        func backup() throws {
            try cli.succeed(["backup", "db", name])
        }

        var connection: PGConnection { get throws { try PGConnection.connect(admin.withDatabase(name)) } }

        func state(_ database: String? = nil) throws -> DatabaseState {
            try DatabaseComparator.snapshot(database: database ?? name, connection: admin)
        }

        /// `restore NAME --into NAME_copy ARGS`; the copy's name.
        @discardableResult
        func restoreCopy(_ arguments: [String] = [], suffix: String = "_copy") throws -> (String, CLIRunner.Result) {
            let copy = name + suffix
            return (copy, try cli.run(["restore", name, "--into", copy] + arguments))
        }

        func differences(from copy: String) throws -> [String] {
            DatabaseComparator.differences(try state(), try state(copy), options: .renamed)
        }

        /// `verify --restore-drill NAME`; checks it left no scratch database.
        func drill() throws -> CLIRunner.Result {
            let result = try cli.run(["verify", "--restore-drill", name])
            let left = try leftovers()
            #expect(left.isEmpty, "scratch databases left behind: \(left)")
            return result
        }

        /// Scratch databases of restores and drills of this source still on the server.
        func leftovers() throws -> [String] {
            let connection = try PGConnection.connect(admin)
            let drillPrefix = "stackbackup_drill_" + String(name.prefix(15))
            let r = try connection.query("""
                SELECT datname FROM pg_database WHERE (starts_with(datname, $1) AND datname LIKE '%\\_\\_restoring\\_%')
                   OR starts_with(datname, $2) ORDER BY 1
                """, [name, drillPrefix])
            return (0..<r.rowCount).compactMap { r.string($0, 0) }
        }

        func drop() {
            for db in ((try? RestoreComparison.databases(like: name, admin: admin)) ?? []) + extraDatabases {
                try? TestPostgres.dropDatabase(db)
            }
        }
    }

    /// Restore into a new name, compare, drill.
    func roundTrip(_ source: Source) throws -> String {
        let (copy, restore) = try source.restoreCopy()
        #expect(restore.status == 0, "\(restore)")
        let differences = try source.differences(from: copy)
        #expect(differences == [], "\(differences.joined(separator: "\n"))")
        let drill = try source.drill()
        #expect(drill.status == 0, "\(drill)")
        return copy
    }

    @Test func sqlStandardFunctionBodiesAndAProcedure() throws {
        let source = try Source("fatomic", sql: """
            CREATE TABLE public.ledger (id int PRIMARY KEY, amount int NOT NULL, kind text);
            INSERT INTO public.ledger SELECT g, g * 10, CASE WHEN g % 2 = 0 THEN 'credit' ELSE 'debit' END FROM generate_series(1, 20) g;
            CREATE FUNCTION public.classify(a int) RETURNS text LANGUAGE sql IMMUTABLE
            BEGIN ATOMIC
              SELECT CASE WHEN a < 0 THEN 'negative' WHEN a = 0 THEN 'zero; none' ELSE 'positive' END;
            END;
            CREATE FUNCTION public.book(a int, k text) RETURNS int LANGUAGE sql
            BEGIN ATOMIC
              INSERT INTO public.ledger (id, amount, kind) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM public.ledger), a, k);
              UPDATE public.ledger SET kind = CASE kind WHEN 'credit' THEN 'credit' ELSE 'debit' END WHERE amount = a;
              SELECT count(*)::int FROM public.ledger WHERE amount = a;
            END;
            CREATE PROCEDURE public.bump(n int) LANGUAGE sql
            BEGIN ATOMIC
              UPDATE public.ledger SET amount = amount + n WHERE id = 1;
              INSERT INTO public.ledger VALUES (1000 + n, n, CASE WHEN n > 0 THEN 'credit' ELSE 'debit' END);
            END;
            CALL public.bump(5);
            CREATE VIEW public.classified AS SELECT id, public.classify(amount - 100) AS class FROM public.ledger;
            CREATE TABLE public.tagged (v int, class text GENERATED ALWAYS AS (public.classify(v)) STORED);
            INSERT INTO public.tagged SELECT g FROM generate_series(-2, 2) g;
            """)
        defer { source.drop() }
        try PGConnection.connect(source.admin).execute("""
            COMMENT ON DATABASE \(source.name) IS 'ledger; with a comment';
            ALTER DATABASE \(source.name) CONNECTION LIMIT 33;
            ALTER DATABASE \(source.name) SET work_mem = '7MB';
            """)
        try source.backup()
        let schema = try source.state().schema
        for key in ["FUNCTION public.classify(integer)", "FUNCTION public.book(integer, text)", "PROCEDURE public.bump(integer)"] {
            #expect(schema[key]?.contains("BEGIN ATOMIC") == true, "\(key) not captured: \(schema.keys.sorted())")
        }
        let copy = try roundTrip(source)
        let db = try PGConnection.connect(source.admin.withDatabase(copy))
        #expect(try db.execute("SELECT public.classify(0), public.book(7, 'x')").string(0, 0) == "zero; none")
        try db.execute("CALL public.bump(1)")
        #expect(try db.execute("SELECT count(*) FROM public.ledger WHERE id = 1001").int(0, 0) == 1)
    }

    @Test func multiActionRulesAlsoAndInstead() throws {
        let source = try Source("frules", sql: """
            CREATE TABLE public.items (id int PRIMARY KEY, name text);
            CREATE TABLE public.item_log (item int, what text, via int);
            CREATE TABLE public.counter (n int);
            INSERT INTO public.counter VALUES (0);
            CREATE RULE items_log AS ON INSERT TO public.items DO ALSO (
              INSERT INTO public.item_log VALUES (NEW.id, 'insert; ' || NEW.name, 0);
              UPDATE public.counter SET n = n + 1;
            );
            CREATE VIEW public.items_view AS SELECT id, name FROM public.items;
            CREATE RULE items_view_ins AS ON INSERT TO public.items_view DO INSTEAD (
              INSERT INTO public.items VALUES (NEW.id, upper(NEW.name));
              INSERT INTO public.item_log VALUES (NEW.id, 'via view', 1);
            );
            CREATE RULE items_view_del AS ON DELETE TO public.items_view DO INSTEAD NOTHING;
            INSERT INTO public.items VALUES (1, 'a'), (2, 'b');
            INSERT INTO public.items_view VALUES (3, 'c');
            """)
        defer { source.drop() }
        let schema = try source.state().schema
        for key in ["RULE public.items items_log", "RULE public.items_view items_view_ins", "RULE public.items_view items_view_del"] {
            #expect(schema[key] != nil, "\(key) not captured: \(schema.keys.sorted())")
        }
        let copy = try roundTrip(source)
        let db = try PGConnection.connect(source.admin.withDatabase(copy))
        let counter = try #require(try db.execute("SELECT n FROM public.counter").int(0, 0))
        try db.execute("INSERT INTO public.items_view VALUES (4, 'd'); DELETE FROM public.items_view")
        #expect(try db.execute("SELECT n FROM public.counter").int(0, 0) == counter + 1)
        #expect(try db.execute("SELECT count(*) FROM public.items").int(0, 0) == 4)
        #expect(try db.execute("SELECT count(*) FROM public.item_log WHERE via = 1").int(0, 0) == 2)
    }

    @Test func largeObjectsWithCommentsAndGrantsToTwoRoles() throws {
        let admin = try #require(try TestPostgres.requireServer()).withDatabase("postgres")
        let tag = "\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let readers = ["sbt_fid_lo_r1_\(tag)", "sbt_fid_lo_r2_\(tag)"]
        let roles = try PGConnection.connect(admin)
        try roles.execute(readers.map { "CREATE ROLE \($0) NOLOGIN" }.joined(separator: "; "))
        defer { for role in readers { _ = try? roles.execute("DROP ROLE IF EXISTS \(role)") } }
        let source = try Source("flobs", sql: """
            CREATE TABLE public.docs (id int PRIMARY KEY, body oid);
            DO $$ DECLARE o oid; BEGIN
              o := lo_from_bytea(0, convert_to('the contract, signed', 'UTF8'));
              INSERT INTO public.docs VALUES (1, o);
              EXECUTE format('COMMENT ON LARGE OBJECT %s IS %L', o, 'the contract; v2');
              EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO \(readers[0])', o);
              EXECUTE format('GRANT SELECT, UPDATE ON LARGE OBJECT %s TO \(readers[1])', o);
              -- One no table refers to, bigger than one lo_put.
              PERFORM lo_from_bytea(0, (SELECT string_agg(sha256(int4send(g)), ''::bytea) FROM generate_series(1, 20000) g));
            END $$;
            """)
        defer { source.drop() }
        let state = try source.state()
        #expect(state.largeObjects.count == 2)
        #expect(state.largeObjects.values.contains { $0.comment == "the contract; v2" && ($0.acl ?? "").contains(readers[1]) })
        let copy = try roundTrip(source)
        let db = try PGConnection.connect(admin.withDatabase(copy))
        #expect(try db.execute("SELECT convert_from(lo_get(body), 'UTF8') FROM public.docs").string(0, 0) == "the contract, signed")
        let acl = try db.execute("SELECT lomacl::text FROM pg_largeobject_metadata WHERE oid = (SELECT body FROM public.docs)").string(0, 0) ?? ""
        #expect(acl.contains("\(readers[0])=r/") && acl.contains("\(readers[1])=rw/"), "\(acl)")
        source.drop()
    }

    @Test func materializedViewsKeepTheirPopulatedState() throws {
        let source = try Source("fmatview", sql: """
            CREATE TABLE public.base (g int, grp int);
            INSERT INTO public.base SELECT g, g % 5 FROM generate_series(1, 200) g;
            CREATE MATERIALIZED VIEW public.mv_a AS SELECT grp, count(*) AS n, sum(g) AS s FROM public.base GROUP BY grp;
            CREATE UNIQUE INDEX mv_a_grp ON public.mv_a (grp);
            CREATE MATERIALIZED VIEW public.mv_b AS SELECT grp, n * 2 AS twice FROM public.mv_a WHERE n > 0;
            CREATE MATERIALIZED VIEW public.mv_c AS SELECT grp FROM public.mv_b WITH NO DATA;
            """)
        defer { source.drop() }
        let state = try source.state()
        #expect(state.materializedViews == ["public.mv_a": true, "public.mv_b": true, "public.mv_c": false])
        #expect(state.tables["public.mv_b"]?.rows == 5)
        let copy = try roundTrip(source)
        let restored = try source.state(copy)
        #expect(restored.materializedViews == state.materializedViews)
        #expect(restored.tables["public.mv_b"] == state.tables["public.mv_b"])
    }

    @Test func tablePatternRestoresTheWholeSchemaButOnlyMatchingData() throws {
        let source = try Source("ftable", sql: """
            CREATE TABLE public.keep_a (id serial PRIMARY KEY, v text);
            CREATE TABLE public.keep_b (id int PRIMARY KEY, a int REFERENCES public.keep_a (id));
            CREATE TABLE public.other_x (id bigserial PRIMARY KEY, note text);
            CREATE INDEX other_x_note ON public.other_x (note);
            INSERT INTO public.keep_a (v) SELECT 'v' || g FROM generate_series(1, 30) g;
            INSERT INTO public.keep_b SELECT g, g FROM generate_series(1, 10) g;
            INSERT INTO public.other_x (note) SELECT 'n' || g FROM generate_series(1, 25) g;
            """)
        defer { source.drop() }
        let (copy, restore) = try source.restoreCopy(["--table", "public.keep_*"])
        #expect(restore.status == 0, "\(restore)")
        let differences = try source.differences(from: copy)
        #expect(differences == ["table public.other_x: rows 25 vs 0"], "\(differences.joined(separator: "\n"))")
        let drill = try source.drill()
        #expect(drill.status == 0, "\(drill)")
    }

    @Test func noOwnerRestoresWithoutAMissingRoleAndKeepsOtherGrants() throws {
        let admin = try #require(try TestPostgres.requireServer()).withDatabase("postgres")
        let tag = "\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let gone = "sbt_fid_gone_\(tag)", reader = "sbt_fid_reader_\(tag)"
        let roles = try PGConnection.connect(admin)
        try roles.execute("CREATE ROLE \(gone) NOLOGIN; CREATE ROLE \(reader) NOLOGIN")
        defer { for role in [gone, reader] { _ = try? roles.execute("DROP ROLE IF EXISTS \(role)") } }
        let source = try Source("fnoowner", sql: """
            CREATE TABLE public.owned (id int PRIMARY KEY, v text);
            INSERT INTO public.owned SELECT g, 'v' || g FROM generate_series(1, 15) g;
            CREATE TABLE public.shared (id int);
            INSERT INTO public.shared VALUES (1), (2);
            ALTER TABLE public.owned OWNER TO \(gone);
            GRANT SELECT ON public.owned TO \(reader);
            GRANT SELECT, INSERT ON public.shared TO \(gone);
            GRANT SELECT ON public.shared TO \(reader);
            ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO \(reader);
            CREATE FUNCTION public.secret() RETURNS int LANGUAGE sql RETURN 42;
            REVOKE EXECUTE ON FUNCTION public.secret() FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION public.secret() TO \(reader);
            DO $$ DECLARE o oid; BEGIN
              o := lo_from_bytea(0, '\\x0a0b0c'::bytea);
              EXECUTE format('ALTER LARGE OBJECT %s OWNER TO \(gone)', o);
              EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO \(reader)', o);
              EXECUTE format('COMMENT ON LARGE OBJECT %s IS %L', o, 'owned by the role that goes');
            END $$;
            """)
        defer { source.drop() }
        // The role goes away: its objects pass to the admin, its grants are dropped, then the role itself.
        try source.connection.execute("REASSIGN OWNED BY \(gone) TO CURRENT_USER; DROP OWNED BY \(gone)")
        try roles.execute("DROP ROLE \(gone)")

        let refused = try source.restoreCopy([], suffix: "_refused").1
        #expect(refused.status == 1 && refused.stderr.contains(gone) && refused.stderr.contains("--no-owner"), "\(refused)")
        let (copy, restore) = try source.restoreCopy(["--no-owner"])
        #expect(restore.status == 0, "\(restore)")
        let db = try PGConnection.connect(admin.withDatabase(copy))
        let me = try db.execute("SELECT current_user").string(0, 0)
        #expect(try db.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'public.owned'::regclass").string(0, 0) == me)
        #expect(try db.query("SELECT has_table_privilege($1, 'public.owned', 'SELECT') AND has_table_privilege($1, 'public.shared', 'SELECT')", [reader]).bool(0, 0) == true)
        // The source, its role gone, and the copy made without it now agree.
        let differences = try source.differences(from: copy)
        #expect(differences == [], "\(differences.joined(separator: "\n"))")
        let drill = try source.drill()
        #expect(drill.status == 0, "\(drill)")
        source.drop()
    }

    @Test func replaceSwapsInTheSnapshotAndKeepsTheOldDatabase() throws {
        let source = try Source("freplace", sql: """
            CREATE TABLE public.orders (id int PRIMARY KEY, total numeric);
            INSERT INTO public.orders SELECT g, g * 1.5 FROM generate_series(1, 40) g;
            """)
        defer { source.drop() }
        let target = source.name + "_live"
        try PGConnection.connect(source.admin).execute("CREATE DATABASE \(target) TEMPLATE template0")
        try PGConnection.connect(source.admin.withDatabase(target)).execute("""
            CREATE TABLE public.old_stuff (x int); INSERT INTO public.old_stuff VALUES (1), (2), (3);
            """)
        let before = try source.state(target)

        let refused = try source.restoreCopy([], suffix: "_live").1
        #expect(refused.status == 1 && refused.stderr.contains("--replace"), "\(refused)")
        let (_, replaced) = try source.restoreCopy(["--replace"], suffix: "_live")
        #expect(replaced.status == 0, "\(replaced)")
        let differences = try source.differences(from: target)
        #expect(differences == [], "\(differences.joined(separator: "\n"))")
        let kept = try RestoreComparison.databases(like: target + "_before_", admin: source.admin)
        #expect(kept.count == 1, "\(kept)")
        if let old = kept.first {
            let oldDifferences = DatabaseComparator.differences(before, try source.state(old), options: .renamed)
            #expect(oldDifferences == [], "\(oldDifferences.joined(separator: "\n"))")
        }
        #expect(try source.leftovers().isEmpty)
        let drill = try source.drill()
        #expect(drill.status == 0, "\(drill)")
    }

    /// Many kinds of objects at once, each small: whatever pg_dump writes, the copy must match.
    @Test func aMixOfObjectKindsRestoresWithoutDifferences() throws {
        let source = try Source("fmix", sql: """
            CREATE EXTENSION btree_gist;
            CREATE SCHEMA app;
            CREATE DOMAIN app.positive AS int CONSTRAINT positive_check CHECK (VALUE > 0);
            CREATE TYPE app.pair AS (a int, b text);
            CREATE TYPE app.colour AS ENUM ('red', 'green', 'blue');
            CREATE TYPE app.floatrange AS RANGE (subtype = float8);
            CREATE COLLATION app.nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
            CREATE TEXT SEARCH CONFIGURATION app.simple_cfg (COPY = pg_catalog.simple);
            CREATE SEQUENCE app.ticket START 100 INCREMENT 7;
            SELECT nextval('app.ticket'), nextval('app.ticket');
            CREATE TABLE app.parent (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, c app.colour, p app.pair,
                                     n app.positive, r app.floatrange, label text COLLATE app.nocase,
                                     ticket int DEFAULT nextval('app.ticket'));
            CREATE TABLE app.child (extra text) INHERITS (app.parent);
            CREATE UNLOGGED TABLE app.scratch (k text PRIMARY KEY);
            CREATE TABLE app.booking (room int, during tstzrange, EXCLUDE USING gist (room WITH =, during WITH &&));
            CREATE TABLE app.ref (id int PRIMARY KEY, parent int REFERENCES app.parent (id) DEFERRABLE INITIALLY DEFERRED);
            CREATE TABLE app.events (id bigint, at date NOT NULL, body text) PARTITION BY LIST (extract(year FROM at));
            CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES IN (2024);
            CREATE TABLE app.events_other PARTITION OF app.events DEFAULT;
            CREATE INDEX events_at ON app.events (at);
            CREATE STATISTICS app.parent_stats (dependencies) ON c, n FROM app.parent;
            COMMENT ON COLUMN app.parent.label IS 'case-insensitive; really';
            COMMENT ON TABLE app.child IS 'inherits';
            ALTER TABLE app.parent ENABLE ROW LEVEL SECURITY;
            CREATE POLICY parent_red ON app.parent FOR SELECT USING (c = 'red');
            CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.label := lower(NEW.label); RETURN NEW; END $$;
            CREATE TRIGGER parent_touch BEFORE INSERT ON app.parent FOR EACH ROW WHEN (NEW.label IS NOT NULL) EXECUTE FUNCTION app.touch();
            CREATE FUNCTION app.no_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
            CREATE EVENT TRIGGER sbt_fid_no_ddl ON ddl_command_start EXECUTE FUNCTION app.no_ddl();
            ALTER EVENT TRIGGER sbt_fid_no_ddl DISABLE;
            CREATE PUBLICATION sbt_fid_pub FOR TABLE app.ref;
            CREATE VIEW app.reds WITH (security_barrier) AS SELECT id, label FROM app.parent WHERE c = 'red' WITH CHECK OPTION;
            GRANT USAGE ON SCHEMA app TO PUBLIC;
            GRANT SELECT (id, label) ON app.parent TO PUBLIC;
            ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO PUBLIC;
            REVOKE EXECUTE ON FUNCTION app.touch() FROM PUBLIC;
            INSERT INTO app.parent (c, p, n, r, label) VALUES ('red', ROW(1, 'x'), 3, '[1.5,2.5)', 'MiXeD'), ('blue', NULL, 1, 'empty', NULL);
            INSERT INTO app.child (id, c, n, label, extra) VALUES (10, 'green', 2, 'Kid', 'e');
            INSERT INTO app.scratch VALUES ('u');
            INSERT INTO app.booking VALUES (1, '[2024-01-01,2024-01-02)'), (1, '[2024-01-02,2024-01-03)');
            INSERT INTO app.ref VALUES (1, 1), (2, NULL);
            INSERT INTO app.events VALUES (1, '2024-05-01', 'a'), (2, '2023-05-01', 'b');
            """)
        defer { source.drop() }
        _ = try roundTrip(source)
    }

    /// A C function whose library is gone on the target: PostgreSQL rejects
    /// its CREATE FUNCTION in pre-data (pg_restore checks C functions' files
    /// even with check_function_bodies off). The library is a copy of a contrib
    /// module shipped with the server, so the function could be created.
    @Test func aStatementThePostgreSQLRejectsFailsTheRestoreAndTheDrillWithExit1() throws {
        let admin = try #require(try TestPostgres.requireServer()).withDatabase("postgres")
        let libdir = try PGConnection.connect(admin).execute("SELECT setting FROM pg_config() WHERE name = 'PKGLIBDIR'").string(0, 0)
        let module = try #require(libdir.map { $0 + "/pg_trgm.so" })
        try #require(FileManager.default.fileExists(atPath: module), "no pg_trgm.so in \(libdir ?? "?")")
        let folder = TemporaryDirectory("stackbackup-fidelity-lib")
        let library = folder.sub("lib.so")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        try FileManager.default.copyItem(atPath: module, toPath: library)
        let source = try Source("fbroken", sql: """
            CREATE TABLE public.words (w text);
            INSERT INTO public.words VALUES ('alpha'), ('beta');
            CREATE FUNCTION public.sim(text, text) RETURNS real AS '\(library)', 'similarity' LANGUAGE C IMMUTABLE STRICT;
            """)
        defer { source.drop() }
        #expect(try source.connection.execute("SELECT public.sim('alpha', 'alpha')").string(0, 0) == "1")
        try FileManager.default.removeItem(atPath: library)

        let (copy, restore) = try source.restoreCopy()
        #expect(restore.status == 1, "\(restore)")
        let errors = restore.stderr.split(separator: "\n").filter { $0.contains("error") }
        #expect(errors.count == 1, "\(restore)")
        #expect(restore.stderr.contains("failed at pre-data") && restore.stderr.contains("PostgreSQL rejected: CREATE FUNCTION public.sim"),
                "the statement is not named: \(restore)")
        #expect(restore.stderr.contains(library), "\(restore)")
        #expect(try !RestoreComparison.databaseExists(copy, admin: admin))
        let left = try source.leftovers()
        #expect(left.isEmpty, "scratch databases left behind: \(left)")
        let drill = try source.drill()
        #expect(drill.status == 1 && drill.stderr.contains("PostgreSQL rejected: CREATE FUNCTION public.sim"), "\(drill)")
    }
}
