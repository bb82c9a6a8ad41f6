import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Versions that do not fit are refused before any work, each with a message
/// saying why and what to use instead: a snapshot of 18 into the 15 server,
/// 18's archive read by 15's pg_restore, 15's pg_dump against the 18 server.
/// Through the binary; exit 1, nothing made on the target.
@Suite(.enabled(if: OtherServer.configured(18) != nil || TestPostgres.isCI, "needs PostgreSQL 18: run bash scripts/test.sh"))
struct VersionSkewTests {
    /// An authelia-like database on 18 backed up with 18's pg_dump; `drop()` removes it.
    final class Snapshot18 {
        let server: OtherServer
        let source: String
        let cli: CLIRepository
        let config: String

        init(_ server: OtherServer) throws {
            self.server = server
            source = try server.createScratchDatabase(prefix: "skew")
            cli = try CLIRepository("stackbackup-skew", environment: server.environment)
            config = try cli.directory.write("config-18.yml", server.configSection)
            do {
                try StackFixtures.createAutheliaLike(db: server.config.withDatabase(source), rows: 200)
                let backup = try cli.run(["backup", "db", source, "--config", config])
                guard backup.status == 0 else { throw VersionTestFailure(description: "backup on 18 failed: \(backup)") }
            } catch {
                drop()
                throw error
            }
        }

        func drop() { server.dropDatabases(startingWith: source) }
    }

    /// Databases on the 15 test cluster whose names start with `prefix` (a target and its scratch copies).
    static func databasesOn15(startingWith prefix: String) throws -> [String] {
        let admin = try PGConnection.connect(try #require(try TestPostgres.requireServer()).withDatabase("postgres"))
        let result = try admin.query("SELECT datname FROM pg_catalog.pg_database WHERE starts_with(datname, $1) ORDER BY 1", [prefix])
        return (0..<result.rowCount).compactMap { result.string($0, 0) }
    }

    @Test func aSnapshotOf18IsRefusedByThe15ServerBeforeAnyChangeSayingWhy() throws {
        try #require(try TestPostgres.requireServer() != nil)
        guard let server = OtherServer.require(18) else { return }
        let snapshot = try Snapshot18(server)
        defer { snapshot.drop() }
        let target = "sbt_skew_into15_\(getpid())"
        defer { for db in (try? Self.databasesOn15(startingWith: target)) ?? [] { try? TestPostgres.dropDatabase(db) } }

        // The 15 test cluster from the environment; 18's pg_restore, so only the server is too old.
        let restore = try CLIRunner().run(["restore", snapshot.source, "--into", target, "--config", snapshot.config,
                                           "--repo", snapshot.cli.repo, "--password-file", snapshot.cli.passwordFile])
        #expect(restore.status == 1, "\(restore)")
        #expect(restore.stderr.contains("the server runs PostgreSQL 15 but the snapshot of \(snapshot.source) was taken from PostgreSQL 18."), "\(restore)")
        #expect(restore.stderr.contains("a dump from a newer major cannot be loaded into an older server; restore onto PostgreSQL 18 or newer"), "\(restore)")
        #expect(try Self.databasesOn15(startingWith: target) == [], "the refused restore made databases on 15")
    }

    @Test func anArchiveOf18IsRefusedByPgRestore15BeforeAnyChange() throws {
        guard let server = OtherServer.require(18) else { return }
        let snapshot = try Snapshot18(server)
        defer { snapshot.drop() }
        let target = snapshot.source + "_by15"
        let config = try snapshot.cli.directory.write("config-old-restore.yml", """
            postgres:
              pg_restore: \(TestCluster.program("pg_restore"))

            """)
        let restore = try snapshot.cli.run(["restore", snapshot.source, "--into", target, "--config", config])
        #expect(restore.status == 1, "\(restore)")
        #expect(restore.stderr.contains("pg_restore 15.") && restore.stderr.contains("is too old"), "\(restore)")
        #expect(restore.stderr.contains("written by pg_dump 18.") && restore.stderr.contains("only pg_restore 18 or newer reads"), "\(restore)")
        #expect(restore.stderr.contains("nothing was changed"), "\(restore)")
        #expect(try server.databases(startingWith: target) == [], "the refused restore made databases on 18")
    }

    @Test func pgDump15IsRefusedByThe18ServerBeforeAnythingIsStored() throws {
        guard let server = OtherServer.require(18) else { return }
        let source = try server.createScratchDatabase(prefix: "skewdump")
        defer { server.dropDatabases(startingWith: source) }
        try StackFixtures.createAutheliaLike(db: server.config.withDatabase(source), rows: 200)
        let cli = try CLIRepository("stackbackup-skew-dump", environment: server.environment)
        let config = try cli.directory.write("config-old-dump.yml", """
            postgres:
              pg_dump: \(TestCluster.program("pg_dump"))

            """)
        let backup = try cli.run(["backup", "db", source, "--config", config])
        #expect(backup.status == 1, "\(backup)")
        #expect(backup.stderr.contains("pg_dump 15.") && backup.stderr.contains("cannot dump server 18."), "\(backup)")
        #expect(backup.stderr.contains("point `pg_dump:` in the config at a pg_dump ≥ 18"), "\(backup)")
        #expect(try VersionSnapshots.count(cli) == 0)
        #expect(try cli.files(in: "data") == [], "the refused dump stored data")
    }
}
