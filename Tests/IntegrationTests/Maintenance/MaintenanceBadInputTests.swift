import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct MaintenanceBadInputTests {
    @Test func unknownDatabaseIsRejectedWithTheExistingOnesListed() throws {
        let config = try #require(try TestPostgres.requireServer())
        let missing = "sbt_no_such_database_\(getpid())"
        let operations: [(String, () throws -> Void)] = [
            ("vacuum", { _ = try Maintenance(connection: config).vacuum(database: missing) }),
            ("check", { _ = try Maintenance(connection: config).check(database: missing) }),
            ("status", { _ = try HealthCollector.collect(connection: config, databases: [missing]) }),
        ]
        for (label, operation) in operations {
            let error = try #require(throws: MaintenanceError.self, "\(label)") { try operation() }
            #expect(error.code == .unknownDatabase)
            #expect(error.description.hasPrefix("database \"\(missing)\" does not exist on the server; existing databases: "))
            #expect(error.description.contains("postgres"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func roleWithoutPrivilegesIsToldWhatItNeeds() throws {
        try MaintenanceFixture.withDatabase("noright") { config, name in
            let setup = try PGConnection.connect(config)
            try setup.execute("""
                CREATE EXTENSION amcheck;
                CREATE TABLE secrets (id int PRIMARY KEY, value text);
                INSERT INTO secrets SELECT g, 'v' FROM generate_series(1, 100) g;
                """)
            try MaintenanceFixture.withUnprivilegedRole(config) { limited in
                let maintenance = Maintenance(connection: limited)
                let vacuum = try #require(throws: MaintenanceError.self) { try maintenance.vacuum(database: name) }
                #expect(vacuum.code == .permissionDenied)
                #expect(vacuum.description.contains("permission denied to vacuum the tables of \(name)"))
                #expect(vacuum.description.contains("must own the table or the database"))

                let reindex = try #require(throws: MaintenanceError.self) { try maintenance.reindex(database: name) }
                #expect(reindex.code == .permissionDenied)

                let check = try #require(throws: MaintenanceError.self) { try maintenance.check(database: name) }
                #expect(check.code == .permissionDenied)
                #expect(check.description.contains("GRANT EXECUTE ON FUNCTION bt_index_check"))

                let install = try #require(throws: MaintenanceError.self) {
                    try setup.execute("DROP EXTENSION amcheck")
                    _ = try maintenance.check(database: name, installAmcheck: true)
                }
                #expect(install.code == .permissionDenied)
                #expect(install.description.contains("needs a superuser"))

                // Status still works with what PUBLIC may read.
                let status = try HealthCollector.collect(connection: limited, databases: [name])
                #expect(status.databases.first?.tables.map(\.name) == ["public.secrets"])
            }
        }
    }

    @Test func lockHeldByAnotherSessionMakesMaintenanceGiveUpAfterLockTimeout() throws {
        try MaintenanceFixture.withDatabase("locked") { config, name in
            let setup = try PGConnection.connect(config)
            try setup.execute("""
                CREATE TABLE busy (id int PRIMARY KEY);
                CREATE TABLE calm (id int PRIMARY KEY);
                INSERT INTO busy SELECT generate_series(1, 100);
                """)
            let holder = try PGConnection.connect(config)
            try holder.execute("BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")
            defer { _ = try? holder.execute("ROLLBACK") }

            let maintenance = Maintenance(connection: config, options: MaintenanceOptions(lockTimeout: 1))
            let started = Date()
            let summary = try maintenance.vacuum(database: name)
            #expect(Date().timeIntervalSince(started) < 10)
            #expect(summary.tables.map(\.name) == ["public.calm"])
            #expect(!summary.isComplete)
            let failure = try #require(summary.failures.first)
            #expect(failure.code == .lockTimeout)
            #expect(failure.object == "public.busy")
            #expect(failure.description == "could not lock public.busy within 1s: another session holds a lock; retry later")

            let only = Maintenance(connection: config,
                                   options: MaintenanceOptions(lockTimeout: 0.5, tablePatterns: ["busy"]))
            let reindex = try only.reindex(database: name, concurrently: false)
            #expect(reindex.tables.isEmpty)
            #expect(reindex.failures.first?.description
                    == "could not lock public.busy within 0.5s: another session holds a lock; retry later")
        }
    }

    @Test func tablePatternsSelectTablesAndAnEmptySelectionIsAnError() throws {
        try MaintenanceFixture.withDatabase("patterns") { config, name in
            try PGConnection.connect(config).execute("""
                CREATE SCHEMA app;
                CREATE TABLE app.events (id int); CREATE TABLE app.event_log (id int); CREATE TABLE public.users (id int);
                """)
            let some = try Maintenance(connection: config, options: MaintenanceOptions(tablePatterns: ["app.event*"]))
                .analyze(database: name)
            #expect(some.tables.map(\.name) == ["app.event_log", "app.events"])
            let bare = try Maintenance(connection: config, options: MaintenanceOptions(tablePatterns: ["users"]))
                .analyze(database: name)
            #expect(bare.tables.map(\.name) == ["public.users"])
            let none = try #require(throws: MaintenanceError.self) {
                try Maintenance(connection: config, options: MaintenanceOptions(tablePatterns: ["nothing*"]))
                    .vacuum(database: name)
            }
            #expect(none.code == .noMatchingTables)
        }
    }
}
