@testable import StackBackupKit
import StackBackupTestSupport
import Testing

/// The SQL splitter and the database property SQL (no server needed).
@Suite struct RestoreScriptTests {
    @Test func splitsStatementsAndKeepsSemicolonsInsideQuotesBodiesAndComments() {
        let sql = """
            \\restrict abc123
            --
            -- Name: f; Type: FUNCTION
            --
            SET statement_timeout = 0;
            SELECT pg_catalog.set_config('search_path', '', false);
            CREATE FUNCTION public.f() RETURNS text LANGUAGE plpgsql AS $_$
            BEGIN RETURN 'a;b' || $1; END $_$;
            COMMENT ON TABLE public."we;ird" IS 'it''s; fine';
            SELECT E'back\\\\slash\\'; still' /* c; /* nested; */ */;
            \\unrestrict abc123

            """
        let statements = RestoreScript(sql).statements.map(\.text)
        #expect(statements.count == 5)
        #expect(statements[0] == "SET statement_timeout = 0")
        #expect(statements[2].hasSuffix("END $_$"))
        #expect(statements[3] == "COMMENT ON TABLE public.\"we;ird\" IS 'it''s; fine'")
        #expect(statements[4].hasPrefix("SELECT E'back"))
    }

    @Test func classifiesOwnersGrantsSessionSettingsAndIndexBuilds() {
        let script = RestoreScript("""
            SET default_tablespace = '';
            SELECT pg_catalog.set_config('search_path', '', false);
            ALTER TABLE public.website OWNER TO umami;
            ALTER FUNCTION public.f() OWNER TO "Mixed Owner";
            GRANT SELECT ON TABLE public.website TO reader, "Other";
            REVOKE ALL ON SCHEMA public FROM PUBLIC;
            CREATE UNIQUE INDEX website_domain ON public.website USING btree (domain);
            CREATE INDEX idx ON ONLY public.measurement USING btree (city);
            ALTER TABLE ONLY public.website ADD CONSTRAINT website_pkey PRIMARY KEY (id);
            ALTER TABLE ONLY public.event ADD CONSTRAINT event_fk FOREIGN KEY (w) REFERENCES public.website(id);
            """)
        let kinds = script.statements.map(\.kind)
        #expect(kinds == [
            .session(name: "default_tablespace"), .session(name: "search_path"),
            .owner(role: "umami"), .owner(role: "Mixed Owner"),
            .privilege(roles: ["reader", "Other"]), .privilege(roles: []),
            .indexBuild(table: "public.website"), .indexBuild(table: "public.measurement"),
            .indexBuild(table: "public.website"), .other,
        ])
        #expect(script.referencedRoles.map(\.role) == ["umami", "Mixed Owner", "reader", "Other"])
    }

    @Test func garbageNeverCrashesTheSplitter() {
        var random = SeededRandom(seed: 42)
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 0..<300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = RestoreScript(bytes)
        }
        _ = RestoreScript("CREATE FUNCTION x() AS $$ unterminated")
        _ = RestoreScript("'open")
    }

    @Test func parsesDatabaseACLsWithPublicQuotedNamesAndGrantOptions() {
        let items = RestoreDatabaseSQL.parseACL(#"{=Tc/postgres,postgres=CTc/postgres,"\"we ird\"=c*/postgres",reader=c/postgres}"#)
        #expect(items == [
            .init(grantee: nil, privileges: ["TEMPORARY", "CONNECT"], grantable: []),
            .init(grantee: "postgres", privileges: ["CREATE", "TEMPORARY", "CONNECT"], grantable: []),
            .init(grantee: "we ird", privileges: [], grantable: ["CONNECT"]),
            .init(grantee: "reader", privileges: ["CONNECT"], grantable: []),
        ])
    }

    @Test func writesListSettingsAsSeparateLiterals() {
        let sql = RestoreDatabaseSQL(name: "x", properties: DatabaseProperties(
            encoding: "UTF8", collate: "C", ctype: "C", localeProvider: "c", iculocale: nil, owner: "o", comment: nil,
            connectionLimit: -1, acl: nil, settings: [], roleSettings: [:]),
            quote: { "\"\($0)\"" }, literal: { "'\($0)'" })
        #expect(sql.setClause(#"search_path="$user", public"#) == "search_path TO '$user', 'public'")
        #expect(sql.setClause("work_mem=12MB") == "work_mem TO '12MB'")
        #expect(sql.setClause("bad key;=1") == nil)
    }

    @Test func tablePatternsMatchQualifiedOrBareNames() {
        let event = QualifiedName(schema: "public", name: "website_event")
        #expect(RestoreTablePattern.matches("public.website_*", event))
        #expect(RestoreTablePattern.matches("website_?vent", event))
        #expect(!RestoreTablePattern.matches("other.website_*", event))
        #expect(!RestoreTablePattern.matches("session", event))
    }
}
