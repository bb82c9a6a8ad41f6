import Foundation
@testable import StackBackupKit
import StackBackupTestSupport
import Testing

/// The anchor for `SQLStatementSplitter`: psql itself. A `pg_dump
/// --schema-only` of a database rich in syntax is run through
/// `psql -f … -L log` into a fresh database; the queries psql logs must be
/// exactly `RestoreScript`'s statements.
@Suite(.serialized, .enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct PsqlSplitAnchorTests {
    /// Everything psql's lexer has to get right, as pg_dump prints it back.
    static let tortureSchema = #"""
        CREATE SCHEMA "we;ird$schema";
        CREATE TABLE public.t (id int PRIMARY KEY, "semi;colon" text DEFAULT 'a;b', "quo""te" text DEFAULT E'\'', "d$ollar" int,
            CONSTRAINT "chk;1" CHECK (CASE WHEN id > 0 THEN true ELSE false END));
        CREATE TABLE public.a (id int);
        CREATE TABLE public.b (id int);
        CREATE TABLE public."$x$" ("$1" int, "begin" int, "end" int, "case" text);
        CREATE TABLE "we;ird$schema"."tab;le" (x int CHECK (x > 0), y text CHECK (y <> ';'));
        CREATE DOMAIN public.posint AS int CONSTRAINT "semi;check" CHECK (VALUE > 0) CHECK (VALUE <> 13);
        CREATE TYPE public.mood AS ENUM ('sad;', 'ok''', 'happy$$', 'end');

        CREATE FUNCTION public.atomic_case(x int) RETURNS int LANGUAGE sql
        BEGIN ATOMIC
          SELECT 1;
          SELECT CASE WHEN x > 0 THEN CASE WHEN x > 9 THEN 2 ELSE 1 END WHEN x < 0 THEN -1 ELSE 0 END;
        END;
        CREATE OR REPLACE PROCEDURE public.atomic_proc(v int) LANGUAGE sql
        BEGIN ATOMIC
          INSERT INTO public.a VALUES (v);
          INSERT INTO public.b VALUES (CASE WHEN v > 1 THEN v ELSE 0 END);
          DELETE FROM public.a WHERE id = ';'::text::int;
        END;
        CREATE FUNCTION public.ret_case(x int) RETURNS int LANGUAGE sql RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END;
        CREATE FUNCTION public.strs() RETURNS text LANGUAGE sql IMMUTABLE
            RETURN E'it\'s; a \\ test' || 'it''s; END;' || U&'\0041;' || $$;$$;
        CREATE FUNCTION public.params(int, int) RETURNS int LANGUAGE sql AS 'SELECT $1 + $2; -- end';
        CREATE FUNCTION public.plpg() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
          -- a comment; with 'quotes' and $$
          IF TG_OP = 'DELETE' THEN
            RAISE NOTICE $msg$deleted; $x$ not the end$msg$;

            RETURN OLD;
          END IF;
          CASE WHEN true THEN NULL; END CASE;
          RETURN NEW; /* end; */
        END;
        $body$;
        CREATE TRIGGER "trg;1" BEFORE DELETE ON public.t FOR EACH ROW EXECUTE FUNCTION public.plpg();

        CREATE RULE multi AS ON DELETE TO public.t DO ALSO (
            DELETE FROM public.a WHERE a.id = old.id;
            INSERT INTO public.b VALUES (old.id);
        );
        CREATE RULE nothing AS ON INSERT TO public.a WHERE new.id < 0 DO INSTEAD NOTHING;
        CREATE RULE "multi;instead" AS ON UPDATE TO public.b DO INSTEAD (
            INSERT INTO public.a VALUES (new.id); UPDATE public.a SET id = CASE WHEN id > 0 THEN id ELSE 0 END WHERE id = old.id
        );
        CREATE VIEW public.v AS SELECT id, "semi;colon" AS ";", 'x;y'::text AS lit, $q$a'b;$q$ AS dq FROM public.t;
        CREATE MATERIALIZED VIEW public.mv AS SELECT count(*) AS "count;" FROM public.t;

        ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "pol;icy" ON public.t USING (("semi;colon" <> 'x;y') AND id > 0) WITH CHECK (id < 100);
        CREATE INDEX "idx;1" ON public.t USING btree ("semi;colon") WHERE ("semi;colon" <> ';');
        CREATE SEQUENCE public."s$eq;";

        COMMENT ON TABLE public.t IS 'it''s; -- not a comment /* nor this */';
        COMMENT ON COLUMN public.t."quo""te" IS E'back\\slash; \'quote\'';
        COMMENT ON FUNCTION public.atomic_case(int) IS $$dollar; 'quoted' $x$ $$;
        COMMENT ON TABLE public.a IS E'line one;\n\nline three; BEGIN';
        COMMENT ON SCHEMA "we;ird$schema" IS '\';
        """#

    @Test func aSyntaxTortureDumpSplitsAsPsqlSplitsIt() throws {
        let admin = try #require(try TestPostgres.requireServer()).withDatabase("postgres")
        let source = try TestPostgres.createScratchDatabase(prefix: "split_torture")
        defer { try? TestPostgres.dropDatabase(source) }
        _ = try PGConnection.connect(admin.withDatabase(source)).execute(Self.tortureSchema)

        let statements = try compareWithPsql(database: source)
        // The comparison must have met the hard cases.
        #expect(statements.contains { $0.contains("BEGIN ATOMIC") && $0.contains("CASE") && $0.contains(";") })
        #expect(statements.contains { $0.hasPrefix("CREATE PROCEDURE") && $0.contains("BEGIN ATOMIC") })
        #expect(statements.contains { $0.hasPrefix("CREATE RULE multi") && $0.contains(";") })
        #expect(statements.contains { $0.contains("DO INSTEAD NOTHING") })
        #expect(statements.contains { $0.hasPrefix("CREATE POLICY") })
        #expect(statements.contains { $0.contains("RAISE NOTICE $msg$deleted; $x$") && $0.contains("END IF;") })
    }

    /// pg_dump prints a function named begin unquoted, so psql 15's
    /// heuristic counts `public.begin` as a BEGIN and sends the rest of the
    /// script as one statement; the splitter does the same.
    @Test func aFunctionNamedBeginSwallowsTheRestOfTheScriptAsInPsql() throws {
        let admin = try #require(try TestPostgres.requireServer()).withDatabase("postgres")
        let source = try TestPostgres.createScratchDatabase(prefix: "split_begin")
        defer { try? TestPostgres.dropDatabase(source) }
        _ = try PGConnection.connect(admin.withDatabase(source)).execute("""
            CREATE FUNCTION public."begin"() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;
            CREATE TABLE public.later (x int);
            """)
        let statements = try compareWithPsql(database: source)
        #expect(statements.last?.hasPrefix("CREATE FUNCTION public.begin()") == true)
        #expect(statements.last?.contains("CREATE TABLE public.later") == true)
    }

    @Test(.enabled(if: Self.regressionDatabase != nil, "STACKBACKUP_TEST_REGRESSION_DB is not set"))
    func theRegressionDatabaseDumpSplitsAsPsqlSplitsIt() throws {
        let statements = try compareWithPsql(database: try #require(Self.regressionDatabase))
        #expect(statements.count > 1000)
    }

    static var regressionDatabase: String? {
        let name = ProcessInfo.processInfo.environment["STACKBACKUP_TEST_REGRESSION_DB"] ?? ""
        return name.isEmpty ? nil : name
    }

    /// Dumps `database`, runs the dump through psql into a fresh database and
    /// expects psql's queries to equal RestoreScript's statements (returned).
    @discardableResult
    func compareWithPsql(database: String) throws -> [String] {
        _ = try #require(try TestPostgres.requireServer())
        let dir = TemporaryDirectory("psql-split")
        let dump = try Self.run(["pg_dump", "--schema-only", "--dbname=\(database)"])
        let dumpPath = dir.sub("dump.sql")
        try Data(dump).write(to: URL(fileURLWithPath: dumpPath))

        let target = try TestPostgres.createScratchDatabase(prefix: "split_psql")
        defer { try? TestPostgres.dropDatabase(target) }
        let logPath = dir.sub("psql.log")
        _ = try Self.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=0", "-L", logPath, "-o", "/dev/null",
                          "-f", dumpPath, "-d", target], allowFailure: true)
        let log = [UInt8](try Data(contentsOf: URL(fileURLWithPath: logPath)))
        let psql = Self.loggedQueries(log).map { SQLStatementSplitter.text(of: $0[...]) }.filter { !$0.isEmpty }

        let ours = RestoreScript(dump).statements.map(\.text)
        #expect(ours.count == psql.count, "RestoreScript has \(ours.count) statements, psql sent \(psql.count)")
        let common = min(ours.count, psql.count)
        if let index = (0..<common).first(where: { ours[$0] != psql[$0] }) ?? (ours.count != psql.count ? common : nil) {
            let mine = index < ours.count ? ours[index] : "<none>"
            let theirs = index < psql.count ? psql[index] : "<none>"
            Issue.record("statement \(index + 1) differs:\n--- RestoreScript:\n\(mine.prefix(2000))\n--- psql:\n\(theirs.prefix(2000))")
        }
        return ours
    }

    /// The queries in a psql `-L` log: each from a `********* QUERY **********`
    /// line to the next `**************************` line (results and
    /// command tags follow that).
    static func loggedQueries(_ log: [UInt8]) -> [[UInt8]] {
        let head = Array("********* QUERY **********\n".utf8)
        let tail = Array("\n**************************\n".utf8)
        func find(_ pattern: [UInt8], from: Int, atLineStart: Bool) -> Int? {
            var i = from
            while i + pattern.count <= log.count {
                if log[i] == pattern[0] && (!atLineStart || i == 0 || log[i - 1] == 0x0A)
                    && log[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
                i += 1
            }
            return nil
        }
        var queries: [[UInt8]] = []
        var position = 0
        while let start = find(head, from: position, atLineStart: true) {
            let body = start + head.count
            guard let end = find(tail, from: body - 1, atLineStart: false) else { break }
            queries.append(end >= body ? Array(log[body..<end]) : [])
            position = end + tail.count
        }
        return queries
    }

    static func run(_ arguments: [String], allowFailure: Bool = false) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if !allowFailure && process.terminationStatus != 0 {
            throw RepositoryError(.other, "\(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return [UInt8](data)
    }
}
