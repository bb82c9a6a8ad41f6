import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// The stack's four databases and their owner role, backed up from one server
/// and restored through the binary onto a second, freshly initialised one.
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct DisasterRecoveryTests {
    @Test func theStackRestoresOntoAFreshEmptyServerWithItsRoles() throws {
        let source = try #require(try TestPostgres.requireServer()).withDatabase("postgres")
        let admin = try PGConnection.connect(source)
        let owner = "sbt_dr_owner_\(getpid())"
        try admin.execute("DROP ROLE IF EXISTS \(owner); CREATE ROLE \(owner) LOGIN")
        var names: [String] = []
        defer {
            for name in names { try? TestPostgres.dropDatabase(name) }
            _ = try? admin.execute("DROP ROLE IF EXISTS \(owner)")
        }
        for kind in ["umami", "immich", "backend", "authelia"] {
            let name = try TestPostgres.createScratchDatabase(prefix: "dr_\(kind)")
            names.append(name)
            let db = source.withDatabase(name)
            switch kind {
            case "umami": try StackFixtures.createUmamiLike(db: db, rows: 2000)
            case "immich": try StackFixtures.createImmichLike(db: db, rows: 200)
            case "backend": try StackFixtures.createBackendLike(db: db, rows: 500)
            default: try StackFixtures.createAutheliaLike(db: db, rows: 200)
            }
            // Owned by the app's role, as in the stack, so the restore needs it.
            try admin.execute("ALTER DATABASE \(name) OWNER TO \(owner)")
            try PGConnection.connect(db).execute("""
                DO $$ DECLARE r record; BEGIN
                  FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') LOOP
                    EXECUTE format('ALTER TABLE %s OWNER TO \(owner)', r.name);
                  END LOOP;
                END $$;
                """)
        }

        let cli = try CLIRepository("stackbackup-dr")
        #expect(try cli.run(["backup", "globals"]).status == 0)
        let backup = try cli.run(["backup", "db"] + names)
        #expect(backup.status == 0, "\(backup)")

        let fresh = try ScratchCluster()
        defer { fresh.stop() }
        let onFresh = CLIRunner(environment: ["PGHOST": fresh.config.host ?? "127.0.0.1", "PGPORT": String(fresh.config.port ?? 5432)])
        for name in names {
            let restore = try onFresh.run(["restore", name, "--with-roles", "--repo", cli.repo, "--password-file", cli.passwordFile])
            #expect(restore.status == 0, "\(name): \(restore)")
        }

        let target = try PGConnection.connect(fresh.config)
        #expect(try target.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [owner]).rowCount == 1, "the owner role was not recreated")
        for name in names {
            let dbOwner = try target.query("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", [name]).string(0, 0)
            #expect(dbOwner == owner, "\(name) is owned by \(dbOwner ?? "nobody")")
            let conninfo = "host=\(fresh.config.host ?? "127.0.0.1") port=\(fresh.config.port ?? 5432) dbname=\(name)"
            #expect(try RestoreComparison.schema(conninfo) == RestoreComparison.schema(name), "schema of \(name)")
            let original = try RestoreComparison.content(name, admin: source)
            #expect(try RestoreComparison.content(name, admin: fresh.config) == original, "content of \(name)")
        }
    }
}
