@testable import StackBackupKit
import StackBackupTestSupport
import Testing

/// psql's statement split (PostgreSQL 15 psqlscan.l), through `RestoreScript`.
@Suite struct SQLStatementSplitterTests {
    func split(_ sql: String) -> [String] { RestoreScript(sql).statements.map(\.text) }

    @Test func beginAtomicBodiesWithCaseStayOneStatement() {
        let sql = """
            CREATE FUNCTION public.f(x integer) RETURNS integer
                LANGUAGE sql
                BEGIN ATOMIC
             SELECT 1;
             SELECT CASE WHEN (x > 0) THEN CASE WHEN (x > 9) THEN 2 ELSE 1 END ELSE 0 END AS "case";
            END;
            CREATE OR REPLACE PROCEDURE public.p(v integer)
                LANGUAGE sql
                BEGIN ATOMIC
             INSERT INTO public.a VALUES (v);
             INSERT INTO public.b VALUES (CASE WHEN v > 1 THEN v ELSE 0 END);
            END;
            select 3;
            """
        let statements = split(sql)
        #expect(statements.count == 3)
        #expect(statements[0].hasPrefix("CREATE FUNCTION public.f") && statements[0].hasSuffix("AS \"case\";\nEND"))
        #expect(statements[1].hasPrefix("CREATE OR REPLACE PROCEDURE") && statements[1].hasSuffix("ELSE 0 END);\nEND"))
        #expect(statements[2] == "select 3")
    }

    @Test func caseOutsideABeginAndKeywordsElsewhereDoNotNest() {
        // CASE … END counts only inside a BEGIN; quoted names, strings and
        // `:name` are no identifiers; `1end` is one (junk) number token.
        #expect(split("CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql RETURN CASE WHEN x > 0 THEN 1 ELSE 2 END; SELECT 1;")
            == ["CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql RETURN CASE WHEN x > 0 THEN 1 ELSE 2 END", "SELECT 1"])
        #expect(split(#"CREATE FUNCTION "begin"() RETURNS text LANGUAGE sql RETURN 'begin'; SELECT 2;"#).count == 2)
        #expect(split("CREATE FUNCTION f() LANGUAGE sql BEGIN ATOMIC SELECT x:end; SELECT 1end; END; SELECT 2;").count == 2)
        // psql's heuristic, mirrored: a parameter named begin is skipped in
        // parentheses, but a bare BEGIN later in the statement counts.
        #expect(split("CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql RETURN begin; SELECT 1;").count == 1)
    }

    @Test func transactionBeginAndEndSplitNormally() {
        #expect(split("BEGIN;\nCREATE TABLE begin_log (x int);\nCOMMIT;\nbegin; SELECT 1; end;")
            == ["BEGIN", "CREATE TABLE begin_log (x int)", "COMMIT", "begin", "SELECT 1", "end"])
        // The identifier count resets at each statement end.
        #expect(split("CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql; BEGIN; SELECT 1; END;").count == 4)
        #expect(split("CREATE FUNCTION f() RETURNS int AS 'x' LANGUAGE sql \\; BEGIN; SELECT 1;")
            == ["CREATE FUNCTION f() RETURNS int AS 'x' LANGUAGE sql ; BEGIN", "SELECT 1"])
    }

    @Test func multiActionRulesAndDoInsteadNothing() {
        let sql = """
            CREATE RULE r AS
                ON DELETE TO public.t DO ( DELETE FROM public.a
              WHERE (a.id = old.id);
             INSERT INTO public.b (id)
              VALUES (old.id);
            );
            CREATE RULE n AS
                ON INSERT TO public.a DO INSTEAD NOTHING;
            SELECT (1; 2); SELECT 3;
            """
        let statements = split(sql)
        #expect(statements.count == 4)
        #expect(statements[0].hasPrefix("CREATE RULE r AS") && statements[0].hasSuffix("VALUES (old.id);\n)"))
        #expect(statements[1] == "CREATE RULE n AS\n    ON INSERT TO public.a DO INSTEAD NOTHING")
        #expect(statements[2] == "SELECT (1; 2)")
    }

    @Test func dollarQuotedBodiesHideSemicolonsAndKeywords() {
        let sql = """
            CREATE FUNCTION public.g() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN
              IF TG_OP = 'DELETE' THEN RAISE NOTICE $x$; $y$ END; $x$; END IF;
              CASE WHEN true THEN RETURN NEW; END CASE;

            END;
            $body$;
            CREATE FUNCTION public.h() RETURNS text LANGUAGE sql AS $$SELECT ';'$$;
            SELECT $_$a;b$_$, $tag1$$tag$;$tag1$;
            """
        let statements = split(sql)
        #expect(statements.count == 3)
        #expect(statements[0].contains("\n\nEND;\n$body$"), "an empty line inside a dollar quote stays")
        #expect(statements[1] == "CREATE FUNCTION public.h() RETURNS text LANGUAGE sql AS $$SELECT ';'$$")
        #expect(statements[2] == "SELECT $_$a;b$_$, $tag1$$tag$;$tag1$")
    }

    @Test func dollarSignsInIdentifiersAndParametersStartNoQuote() {
        #expect(split("SELECT x$y$ FROM t$; SELECT $1, $2abc; SELECT 3;") == ["SELECT x$y$ FROM t$", "SELECT $1, $2abc", "SELECT 3"])
        #expect(split("SELECT $1$x; SELECT 2;") == ["SELECT $1$x", "SELECT 2"])
        #expect(split("SELECT $a; SELECT 2;") == ["SELECT $a", "SELECT 2"], "$a without a closing $ is no delimiter")
    }

    @Test func stringsFollowStandardConformingRules() {
        #expect(split(#"SELECT E'it\'s; \\'; SELECT 'a''b;c'; SELECT 'back\'; SELECT 1;"#)
            == [#"SELECT E'it\'s; \\'"#, "SELECT 'a''b;c'", #"SELECT 'back\'"#, "SELECT 1"])
        #expect(split(#"SELECT e'\\\';'; SELECT 2;"#).count == 2)
        #expect(split("SELECT X'1;', B'0;1', N'n;', U&'\\0041;', U&\"a;b\"; SELECT 2;").count == 2)
        // `1e` is one number token, so its quote starts a standard string.
        #expect(split(#"SELECT 1e'\'; SELECT 2;"#) == [#"SELECT 1e'\'"#, "SELECT 2"])
        // B'…' has no '' doubling; the next quote starts a new string.
        #expect(split("SELECT B'1''; x'; SELECT 2;") == ["SELECT B'1''; x'", "SELECT 2"])
    }

    @Test func quotedIdentifiersAndCommentsHideSemicolons() {
        #expect(split(#"COMMENT ON TABLE public."we;ird""x" IS 'ok'; SELECT 2;"#) == [#"COMMENT ON TABLE public."we;ird""x" IS 'ok'"#, "SELECT 2"])
        #expect(split("SELECT /* a; /* b; */ c; */ 1; SELECT 2;") == ["SELECT /* a; /* b; */ c; */ 1", "SELECT 2"])
        // psql drops -- comments before a statement (keeping later ones) and
        // empty lines outside quotes.
        #expect(split("-- head; comment\n  -- more\nSELECT 1 -- one; 'two\n\n+ 1;\nSELECT 'a\n\nb';")
            == ["SELECT 1 -- one; 'two\n+ 1", "SELECT 'a\n\nb'"])
        #expect(split("SELECT 1 +-- c\n2;") == ["SELECT 1 +-- c\n2"])
    }

    @Test func psqlMetaCommandsAreDropped() {
        let sql = """
            \\restrict abc123
            SET a = 1;
            \\connect -reuse-previous=on "dbname='x;y'"
            SELECT
            \\echo 'mid; statement'
            1;
            \\echo a \\\\ SELECT 2;
            SELECT 3 \\; SELECT 4;
            \\unrestrict abc123
            """
        #expect(split(sql) == ["SET a = 1", "SELECT\n1", "SELECT 2", "SELECT 3 ; SELECT 4"])
        #expect(split("SELECT 5 \\g\nSELECT 6\n\\g x\n\\q\nSELECT 7;") == ["SELECT 5", "SELECT 6"])
        #expect(split("SELECT 8 \\r\nSELECT 9;") == ["SELECT 9"])
    }

    @Test func crlfLineEndsAndAByteOrderMark() {
        let sql = "\u{FEFF}SET a = 1;\r\n-- c;\r\nCREATE FUNCTION f() RETURNS int LANGUAGE sql\r\nBEGIN ATOMIC\r\n SELECT 1;\r\nEND;\r\n\\unrestrict k\r\nSELECT 'x;\r\n';\r\n"
        #expect(split(sql) == ["SET a = 1", "CREATE FUNCTION f() RETURNS int LANGUAGE sql\r\nBEGIN ATOMIC\r\n SELECT 1;\r\nEND", "SELECT 'x;\r\n'"])
    }

    @Test func garbageAndUnterminatedInputEndTheLastStatement() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<500 {
            let alphabet = Array("';\"$\\-/*()\n\r E:abBEGINcaseEND0123&Uu_x".utf8) + [0x00, 0xFF, 0xC3]
            let bytes = (0..<Int.random(in: 0..<400, using: &random)).map { _ in
                Bool.random(using: &random) ? alphabet.randomElement(using: &random)! : UInt8.random(in: 0...255, using: &random)
            }
            _ = RestoreScript(bytes)
        }
        #expect(split("SELECT 1; SELECT 'open;") == ["SELECT 1", "SELECT 'open;"])
        #expect(split("CREATE FUNCTION x() AS $$ unterminated; ") == ["CREATE FUNCTION x() AS $$ unterminated;"])
        #expect(split("SELECT 1; /* open; comment") == ["SELECT 1", "/* open; comment"])
        #expect(split("CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; SELECT 2;").count == 1)
        #expect(split("SELECT \"open; E'\\") .count == 1)
        #expect(split("").isEmpty && split("\n\n  -- only a comment\n").isEmpty && split("\\").isEmpty)
    }

    @Test func aLargeScriptSplitsInLinearTime() {
        let one = "CREATE FUNCTION public.f(x integer) RETURNS integer LANGUAGE sql\n    BEGIN ATOMIC\n SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;\nEND;\nCOMMENT ON TABLE t IS 'a;b';\n"
        let sql = String(repeating: one, count: 20_000)   // about 2.7 MB
        let clock = ContinuousClock()
        var count = 0
        let elapsed = clock.measure { count = RestoreScript(sql).statements.count }
        #expect(count == 40_000)
        #expect(elapsed < .seconds(20))
    }
}
