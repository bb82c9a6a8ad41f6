import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct MaintenanceCheckTests {
    @Test func healthyDatabasePassesCheck() throws {
        try MaintenanceFixture.withDatabase("healthy") { config, name in
            let setup = try PGConnection.connect(config)
            try setup.execute("""
                CREATE TABLE notes (id int PRIMARY KEY, title text COLLATE "C", body text);
                INSERT INTO notes SELECT g, 'title ' || g, repeat('b', g % 50) FROM generate_series(1, 5000) g;
                CREATE INDEX notes_title ON notes (title);
                CREATE INDEX notes_hash ON notes USING hash (body);
                """)
            let maintenance = Maintenance(connection: config)
            let report = try maintenance.check(database: name, heapAllIndexed: true, installAmcheck: true)
            #expect(report.isHealthy)
            #expect(!report.amcheckMissing)
            #expect(report.checked == 2)  // the primary key and notes_title; hash indexes are not btree
            #expect(report.corrupt.isEmpty && report.skipped.isEmpty)
        }
    }

    @Test func missingAmcheckIsReportedInsteadOfInstalled() throws {
        try MaintenanceFixture.withDatabase("noamcheck") { config, name in
            try PGConnection.connect(config).execute("CREATE TABLE t (id int PRIMARY KEY)")
            let report = try Maintenance(connection: config).check(database: name)
            #expect(report.amcheckMissing)
            #expect(!report.isHealthy)
            #expect(report.checked == 0)
            #expect(report.message?.contains("amcheck is not installed in \(name); rerun with --install-amcheck") == true)
            let installed = try PGConnection.connect(config).execute(
                "SELECT count(*) FROM pg_extension WHERE extname = 'amcheck'").int(0, 0)
            #expect(installed == 0)
        }
    }

    /// A btree built under one ordering and then read under the inverse one:
    /// the opclass's comparison function is replaced after the build, which is
    /// what a changed collation does to a text index.
    @Test func corruptedBtreeIndexIsReported() throws {
        try MaintenanceFixture.withDatabase("corrupt") { config, name in
            let setup = try PGConnection.connect(config)
            try setup.execute("""
                CREATE FUNCTION drifting_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE
                  AS $$ SELECT CASE WHEN $1 < $2 THEN -1 WHEN $1 > $2 THEN 1 ELSE 0 END $$;
                CREATE OPERATOR CLASS drifting_ops FOR TYPE int USING btree AS
                  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
                  FUNCTION 1 drifting_cmp(int, int);
                CREATE TABLE readings (id int PRIMARY KEY, v int);
                INSERT INTO readings SELECT g, g FROM generate_series(1, 2000) g;
                CREATE INDEX readings_v ON readings (v drifting_ops);
                """)
            let maintenance = Maintenance(connection: config)
            let before = try maintenance.check(database: name, installAmcheck: true)
            #expect(before.isHealthy && before.checked == 2)

            try setup.execute("""
                CREATE OR REPLACE FUNCTION drifting_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE
                  AS $$ SELECT CASE WHEN $1 < $2 THEN 1 WHEN $1 > $2 THEN -1 ELSE 0 END $$
                """)
            let progress = ProgressLog()
            let after = try Maintenance(connection: config, progress: progress.record).check(database: name)
            #expect(!after.isHealthy)
            #expect(after.checked == 1)
            let corrupt = try #require(after.corrupt.first)
            #expect(after.corrupt.count == 1)
            #expect(corrupt.index == "public.readings_v")
            #expect(corrupt.table == "public.readings")
            #expect(corrupt.message.contains("invariant violated"))
            #expect(corrupt.description.contains("REINDEX INDEX CONCURRENTLY public.readings_v"))
            #expect(progress.all.contains { $0.object == "public.readings_v" && $0.event == .failed })
        }
    }
}
