import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct HealthCollectorTests {
    static let sensitive = HealthThresholds(idleInTransactionSeconds: 0.5, bloatMinimumBytes: 0)

    @Test func bloatedTableIsReportedWithDeadTuplesAndVacuumReducesThem() throws {
        try MaintenanceFixture.withDatabase("bloat") { config, name in
            let setup = try PGConnection.connect(config)
            try setup.execute("""
                CREATE TABLE events (id int PRIMARY KEY, payload text) WITH (autovacuum_enabled = false);
                INSERT INTO events SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g;
                UPDATE events SET payload = repeat('y', 100);
                """)
            try MaintenanceFixture.flushStatistics(setup)

            var table: TableHealth?
            let reported = try MaintenanceFixture.eventually {
                let report = try HealthCollector.collect(connection: config, databases: [name], thresholds: Self.sensitive)
                table = report.databases.first?.tables.first { $0.name == "public.events" }
                return (table?.deadTuples ?? 0) >= 20000
            }
            #expect(reported)
            let bloated = try #require(table)
            #expect(bloated.liveTuples == 20000)
            #expect(bloated.bloatRatio > 0.4 && bloated.bloatRatio < 0.6)
            #expect(bloated.bloatEstimateBytes > 0 && bloated.bloatEstimateBytes < bloated.sizeBytes)
            #expect(bloated.lastVacuum == nil)
            let report = try HealthCollector.collect(connection: config, databases: [name], thresholds: Self.sensitive)
            #expect(report.warnings.contains { $0.kind == .bloat && $0.object == "public.events" })
            #expect(report.databases.first?.largestTables.first?.name == "public.events")
            #expect(!report.server.isEmpty && report.serverVersionNumber >= 100_000)

            let progress = ProgressLog()
            let maintenance = Maintenance(connection: config, progress: progress.record)
            let summary = try maintenance.vacuum(database: name)
            #expect(summary.isComplete)
            let result = try #require(summary.tables.first { $0.name == "public.events" })
            #expect((result.deadTuplesBefore ?? 0) >= 20000)
            #expect((result.deadTuplesAfter ?? Int64.max) < 100)
            #expect(progress.all.contains { $0.object == "public.events" && $0.event == .started })
            #expect(progress.all.contains { $0.object == "public.events" && $0.event == .finished })

            let after = try HealthCollector.collect(connection: config, databases: [name], thresholds: Self.sensitive)
            let vacuumed = try #require(after.databases.first?.tables.first { $0.name == "public.events" })
            #expect(vacuumed.deadTuples < bloated.deadTuples)
            #expect(vacuumed.bloatEstimateBytes < bloated.bloatEstimateBytes)
            #expect(vacuumed.lastVacuum != nil)
            #expect(!after.warnings.contains { $0.kind == .bloat })

            // Plain VACUUM leaves the freed space in the file; VACUUM FULL gives it back.
            #expect(throws: MaintenanceError.self) { try maintenance.vacuum(database: name, full: true) }
            let full = try maintenance.vacuum(database: name, analyze: true, full: true, confirmed: true)
            #expect(full.operation == .vacuumFull)
            #expect(full.bytesReclaimed > 1_000_000)
        }
    }

    @Test func invalidIndexIsReportedAndReindexInvalidOnlyFixesIt() throws {
        try MaintenanceFixture.withDatabase("invalid") { config, name in
            let setup = try PGConnection.connect(config)
            try setup.execute("""
                CREATE TABLE users (id int, email text);
                INSERT INTO users SELECT g, 'user' || (g % 500) || '@example.org' FROM generate_series(1, 1000) g;
                """)
            // Fails on the duplicates and leaves the index behind, invalid.
            #expect(throws: PGError.self) {
                try setup.execute("CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email)")
            }
            let report = try HealthCollector.collect(connection: config, databases: [name])
            let health = try #require(report.databases.first)
            #expect(health.invalidIndexes.map(\.name) == ["public.users_email"])
            #expect(health.invalidIndexes.first?.table == "public.users")
            #expect(report.warnings.contains { $0.kind == .invalidIndex && $0.object == "public.users_email" })

            // amcheck refuses invalid indexes: check lists it as skipped.
            let check = try Maintenance(connection: config).check(database: name, installAmcheck: true)
            #expect(check.skipped == ["public.users_email"])

            try setup.execute("DELETE FROM users WHERE id > 500")
            let summary = try Maintenance(connection: config).reindex(database: name, concurrently: true, invalidOnly: true)
            #expect(summary.tables.map(\.name) == ["public.users_email"])
            #expect(summary.failures.isEmpty)

            let fixed = try HealthCollector.collect(connection: config, databases: [name])
            #expect(fixed.databases.first?.invalidIndexes.isEmpty == true)
            #expect(!fixed.warnings.contains { $0.kind == .invalidIndex })
            #expect(try setup.execute(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass").bool(0, 0) == true)
            // Nothing left to do.
            let again = try Maintenance(connection: config).reindex(database: name, invalidOnly: true)
            #expect(again.tables.isEmpty)
        }
    }

    @Test func sessionLeftIdleInTransactionIsReported() throws {
        try MaintenanceFixture.withDatabase("idle") { config, name in
            var appConfig = config
            appConfig.applicationName = "forgetful-app"
            let app = try PGConnection.connect(appConfig)
            let pid = try #require(try app.execute("SELECT pg_backend_pid()").int(0, 0))
            try app.execute("BEGIN")
            try app.execute("SELECT 'left open' AS reason")
            // Until the server has seen the session idle in its transaction for a while.
            let observer = try PGConnection.connect(config)
            let idleLongEnough = try Poll.until(timeout: 30, every: 0.05) {
                let age = try observer.query("SELECT extract(epoch FROM clock_timestamp() - state_change)::float8 FROM pg_stat_activity WHERE pid = $1 AND state = 'idle in transaction'", [String(pid)])
                return age.rowCount == 1 && (Double(age.string(0, 0) ?? "") ?? 0) >= 0.6
            }
            #expect(idleLongEnough)

            let report = try HealthCollector.collect(connection: config, databases: [name], thresholds: Self.sensitive)
            let idle = try #require(report.databases.first?.idleInTransaction.first { $0.pid == Int(pid) })
            #expect(idle.state == "idle in transaction")
            #expect(idle.application == "forgetful-app")
            #expect(idle.seconds >= 0.5)
            #expect(idle.query == "SELECT 'left open' AS reason")
            #expect(report.warnings.contains { $0.kind == .idleInTransaction && $0.object == "pid \(pid)" })

            // Default thresholds (60 s) do not flag a one-second pause.
            let relaxed = try HealthCollector.collect(connection: config, databases: [name])
            #expect(relaxed.databases.first?.idleInTransaction.isEmpty == true)
            try app.execute("ROLLBACK")
        }
    }

    @Test func reportCoversIndexesCacheAndJSON() throws {
        try MaintenanceFixture.withDatabase("indexes") { config, name in
            let setup = try PGConnection.connect(config)
            try setup.execute("""
                CREATE TABLE items (id int PRIMARY KEY, sku text, price int);
                INSERT INTO items SELECT g, 'sku' || g, g FROM generate_series(1, 1000) g;
                CREATE INDEX items_sku_a ON items (sku);
                CREATE INDEX items_sku_b ON items (sku);
                CREATE INDEX items_price ON items (price) WHERE price > 10;
                """)
            let report = try HealthCollector.collect(connection: config, databases: [name])
            let health = try #require(report.databases.first)
            #expect(health.duplicateIndexes.count == 1)
            #expect(health.duplicateIndexes.first?.indexes == ["public.items_sku_a", "public.items_sku_b"])
            #expect((health.duplicateIndexes.first?.redundantBytes ?? 0) > 0)
            let unused = Set(health.unusedIndexes.map(\.name))
            #expect(unused == ["public.items_sku_a", "public.items_sku_b", "public.items_price"])
            #expect(health.largestIndexes.count == 4)
            #expect(health.sizeBytes > 0)
            #expect(health.xidAge > 0 && !health.wraparoundWarning)
            #expect(health.cacheHitRatio.map { $0 > 0 && $0 <= 1 } ?? true)
            #expect(health.growthSinceLastBackup == nil)

            let json = try JSONEncoder().encode(report)
            let decoded = try JSONDecoder().decode(HealthReport.self, from: json)
            #expect(decoded == report)

            let all = try HealthCollector.collect(connection: config)
            #expect(all.databases.contains { $0.name == name })
            #expect(all.databases.contains { $0.name == "postgres" })
        }
    }
}
