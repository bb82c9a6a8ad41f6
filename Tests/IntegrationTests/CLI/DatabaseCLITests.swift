import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// The operator's database commands through the real binary: `backup db`,
/// `snapshots --source`, `restore DB --into`, a refused restore over data,
/// `--replace`, `db status` with growth, vacuum, analyze, reindex, check.
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct DatabaseCLITests {
    @Test func backupListRestoreRefuseAndReplaceThroughTheBinary() throws {
        let admin = try #require(try TestPostgres.requireServer())
        let name = try TestPostgres.createScratchDatabase(prefix: "cli_umami")
        let copy = name + "_copy"
        let connection = try PGConnection.connect(admin)
        func databases(like prefix: String) throws -> [String] {
            let result = try connection.query("SELECT datname FROM pg_database WHERE datname LIKE $1 || '%' ORDER BY 1", [prefix])
            return (0..<result.rowCount).compactMap { result.string($0, 0) }
        }
        defer { for db in (try? databases(like: name)) ?? [] { try? TestPostgres.dropDatabase(db) } }
        try StackFixtures.createUmamiLike(db: admin.withDatabase(name), rows: 3000)
        let fixture = try CLIRepository("stackbackup-dbcli")

        let backup = try fixture.run(["backup", "db", name])
        #expect(backup.status == 0, "\(backup)")
        let listing = try fixture.succeed(["snapshots", "--source", name])
        #expect(listing.stdout.contains("postgres") && listing.stdout.contains("3 tables, 3,305 rows"), "\(listing)")

        // db status reads the newest dump's recorded size from the repository.
        try PGConnection.connect(admin.withDatabase(name)).execute("CREATE TABLE grown AS SELECT repeat('g', 500) AS body FROM generate_series(1, 5000)")
        let status = try fixture.run(["db", "status", name, "--json"])
        #expect(status.status == 0 || status.status == 3, "\(status)")
        let report = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let health = (report?["databases"] as? [[String: Any]])?.first
        #expect(((health?["growthSinceLastBackup"] as? NSNumber)?.int64Value ?? 0) > 2_000_000, "\(status)")
        let table = try fixture.run(["db", "status", name])
        #expect(table.stdout.contains("Since backup") && table.stdout.contains("+"), "\(table)")
        try PGConnection.connect(admin.withDatabase(name)).execute("DROP TABLE grown")

        // --snapshot names a snapshot of WHAT: another database's id is refused.
        let id = try #require((try JSONSerialization.jsonObject(with: Data(fixture.succeed(["snapshots", "--json"]).stdout.utf8)) as? [[String: Any]])?.first?["id"] as? String)
        let mismatch = try fixture.run(["restore", "umami", "--snapshot", String(id.prefix(8)), "--into", copy])
        #expect(mismatch.status != 0 && mismatch.stderr.contains("of source \"umami\""), "\(mismatch)")
        #expect(try !RestoreComparison.databaseExists(copy, admin: admin))

        let restore = try fixture.run(["restore", name, "--snapshot", String(id.prefix(8)), "--into", copy])
        #expect(restore.status == 0, "\(restore)")
        let original = try RestoreComparison.content(name, admin: admin)
        #expect(try RestoreComparison.content(copy, admin: admin) == original)

        // A target holding data is refused, in one line, and left as it was.
        try PGConnection.connect(admin.withDatabase(copy)).execute("DELETE FROM website_event WHERE url_query IS NULL")
        let changed = try RestoreComparison.content(copy, admin: admin)
        let refused = try fixture.run(["restore", name, "--into", copy])
        #expect(refused.status == 1 && refused.stderr.contains("--replace"), "\(refused)")
        #expect(refused.stderr.split(separator: "\n").filter { $0.contains("error") }.count == 1, "\(refused)")
        #expect(try RestoreComparison.content(copy, admin: admin) == changed)
        #expect(try databases(like: copy) == [copy], "the refused restore left a database behind")

        // --replace swaps in a whole copy and keeps the old one under a dated name.
        let replaced = try fixture.run(["restore", name, "--into", copy, "--replace"])
        #expect(replaced.status == 0, "\(replaced)")
        #expect(try RestoreComparison.content(copy, admin: admin) == original)
        let kept = try databases(like: copy + "_before_")
        #expect(kept.count == 1, "\(kept)")
        if let old = kept.first { #expect(try RestoreComparison.content(old, admin: admin) == changed) }
    }

    @Test func maintenanceCommandsThroughTheBinary() throws {
        let admin = try #require(try TestPostgres.requireServer())
        let name = try TestPostgres.createScratchDatabase(prefix: "cli_maint")
        defer { try? TestPostgres.dropDatabase(name) }
        let db = try PGConnection.connect(admin.withDatabase(name))
        try db.execute("""
            CREATE TABLE items (id serial PRIMARY KEY, sku text, price int) WITH (autovacuum_enabled = false);
            INSERT INTO items (sku, price) SELECT 'sku' || g, g FROM generate_series(1, 20000) g;
            CREATE INDEX items_sku ON items (sku);
            UPDATE items SET price = price + 1;
            """)
        try MaintenanceFixture.flushStatistics(db)
        let runner = CLIRunner()

        var status = try runner.run(["db", "status", name])
        _ = try MaintenanceFixture.eventually {
            status = try runner.run(["db", "status", name])
            return status.stdout.contains("public.items: 20,000 dead tuples")
        }
        #expect(status.status == 0 || status.status == 3, "\(status)")
        #expect(status.stdout.contains("Dead tuples") && status.stdout.contains("public.items: 20,000 dead tuples"), "\(status)")
        #expect(status.stdout.contains("largest tables: public.items"), "\(status)")

        let full = try runner.run(["db", "vacuum", name, "--full"])
        #expect(full.status == 64 && full.stderr.contains("--yes"), "\(full)")
        let vacuum = try runner.run(["db", "vacuum", name, "--analyze"])
        #expect(vacuum.status == 0, "\(vacuum)")
        try MaintenanceFixture.flushStatistics(db)
        let after = try runner.run(["db", "status", name, "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any]
        let tables = ((report?["databases"] as? [[String: Any]])?.first?["tables"] as? [[String: Any]]) ?? []
        #expect((tables.first { $0["name"] as? String == "public.items" }?["deadTuples"] as? Int) == 0, "\(after)")

        #expect(try runner.run(["db", "analyze", name]).status == 0)
        let reindex = try runner.run(["db", "reindex", name, "--invalid-only"])
        #expect(reindex.status == 0, "\(reindex)")
        let check = try runner.run(["db", "check", name, "--install-amcheck"])
        #expect(check.status == 0, "\(check)")

        let unknown = try runner.run(["db", "status", "sbt_no_such_database"])
        #expect(unknown.status == 1 && unknown.stderr.contains("sbt_no_such_database"), "\(unknown)")
        #expect(unknown.stderr.split(separator: "\n").count == 1, "\(unknown)")
    }
}
