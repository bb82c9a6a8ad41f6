import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Frozen plain-SQL (version 1) manifests, built by `RestoreManifestBuilder`,
/// still restore SQL-standard function bodies and multi-action rules: the old
/// path splits pg_dump's text into statements itself (RestoreScript), then the
/// copy is compared with its source by `DatabaseComparator`.
///
/// They failed with PostgreSQL's "syntax error at end of input" while the splitter
/// cut at every `;` (a CASE … END inside BEGIN ATOMIC, several statements in BEGIN
/// ATOMIC, `DO ALSO ( stmt; stmt; )`); it now splits by psql's rules.
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct RestoreFidelityVersion1Tests {
    /// Builds a database from `sql`, a version 1 manifest of it, restores that
    /// into NAME_copy and compares; then `check` runs on the copy.
    func roundTrip(_ prefix: String, _ sql: String, check: (PGConnection) throws -> Void = { _ in }) throws {
        let admin = try #require(try TestPostgres.requireServer()).withDatabase("postgres")
        let name = try TestPostgres.createScratchDatabase(prefix: prefix)
        let copy = name + "_copy"
        defer { for db in (try? RestoreComparison.databases(like: name, admin: admin)) ?? [] { try? TestPostgres.dropDatabase(db) } }
        try PGConnection.connect(admin.withDatabase(name)).execute(sql)
        let store = RestoreTestStore()
        let manifest = try RestoreManifestBuilder.build(database: name, admin: admin, store: store)
        #expect(manifest.schema == nil, "the builder should make a version 1 (plain SQL) manifest")
        _ = try DatabaseRestorer(connection: admin, store: store, manifest: manifest,
                                 options: RestoreOptions(target: copy, jobs: 2)).run()
        let differences = try DatabaseComparator.differences(name, copy, connection: admin)
        #expect(differences == [], "\(differences.joined(separator: "\n"))")
        try check(PGConnection.connect(admin.withDatabase(copy)))
    }


    @Test func beginAtomicFunctionWithACaseExpression() throws {
        do {
            try roundTrip("fv1_fn", """
                CREATE FUNCTION public.classify(a int) RETURNS text LANGUAGE sql IMMUTABLE
                BEGIN ATOMIC
                  SELECT CASE WHEN a < 0 THEN 'negative' WHEN a = 0 THEN 'zero; none' ELSE 'positive' END;
                END;
                CREATE TABLE public.tagged (v int, class text GENERATED ALWAYS AS (public.classify(v)) STORED);
                INSERT INTO public.tagged SELECT g FROM generate_series(-2, 2) g;
                """) { (db: PGConnection) throws in
                #expect(try db.execute("SELECT public.classify(0)").string(0, 0) == "zero; none")
            }
        }
    }

    @Test func beginAtomicFunctionAndProcedureWithSeveralStatements() throws {
        do {
            try roundTrip("fv1_proc", """
                CREATE TABLE public.ledger (id int PRIMARY KEY, amount int NOT NULL, kind text);
                INSERT INTO public.ledger SELECT g, g * 10, 'credit' FROM generate_series(1, 5) g;
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
                """) { (db: PGConnection) throws in
                try db.execute("CALL public.bump(1)")
                #expect(try db.execute("SELECT public.book(7, 'x')").int(0, 0) == 1)
            }
        }
    }

    @Test func multiActionRulesAlsoAndInstead() throws {
        do {
            try roundTrip("fv1_rule", """
                CREATE TABLE public.items (id int PRIMARY KEY, name text);
                CREATE TABLE public.item_log (item int, what text);
                CREATE TABLE public.counter (n int);
                INSERT INTO public.counter VALUES (0);
                CREATE RULE items_log AS ON INSERT TO public.items DO ALSO (
                  INSERT INTO public.item_log VALUES (NEW.id, 'insert; ' || NEW.name);
                  UPDATE public.counter SET n = n + 1;
                );
                CREATE VIEW public.items_view AS SELECT id, name FROM public.items;
                CREATE RULE items_view_ins AS ON INSERT TO public.items_view DO INSTEAD (
                  INSERT INTO public.items VALUES (NEW.id, upper(NEW.name));
                  UPDATE public.counter SET n = n + 10;
                );
                INSERT INTO public.items VALUES (1, 'a');
                INSERT INTO public.items_view VALUES (2, 'b');
                """) { (db: PGConnection) throws in
                let counter = try #require(try db.execute("SELECT n FROM public.counter").int(0, 0))
                try db.execute("INSERT INTO public.items_view VALUES (3, 'c')")
                #expect(try db.execute("SELECT n FROM public.counter").int(0, 0) == counter + 11)
            }
        }
    }
}
