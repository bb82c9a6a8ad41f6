import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// What `config check` asks the PostgreSQL servers, a server reached through
/// its socket folder (PostgreSQL in Docker without a published port), and what
/// `db check --install-amcheck` and `db analyze` say — through the real binary
/// (issue 14 items 10, 12 and 17).
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct ConfigCheckServerTests {
    /// The test server's socket folder, as a bind mount from a container would show it.
    func socketFolder(_ admin: PGConnectionConfig) throws -> String {
        let text = try PGConnection.connect(admin).execute("SHOW unix_socket_directories").string(0, 0) ?? ""
        return try #require(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("/") },
                            "the test server has no socket folder")
    }

    func server(_ admin: PGConnectionConfig, host: String, databases: [String], extra: String = "") -> String {
        """
        postgres:
          host: \(host)
          port: \(admin.port ?? 5432)
          user: \(admin.user ?? "postgres")
          connect_timeout: 3
          databases: [\(databases.joined(separator: ", "))]
        \(extra)
        """
    }

    @Test func checksEachServerItsDatabasesAndTheVersionsOfItsClientPrograms() throws {
        let admin = try #require(try TestPostgres.requireServer())
        let name = try TestPostgres.createScratchDatabase(prefix: "cfgcheck")
        defer { try? TestPostgres.dropDatabase(name) }
        let fixture = try CLIRepository("stackbackup-cfgcheck")
        _ = chmod(fixture.passwordFile, 0o600)
        let good = try fixture.directory.write("good.yml", """
        repository: \(fixture.repo)
        password_file: \(fixture.passwordFile)
        \(server(admin, host: admin.host ?? "127.0.0.1", databases: [name]))
        """)
        let ok = try fixture.runner.run(["config", "check", "--config", good])
        #expect(ok.status == 0 && !ok.stdout.contains("error"), "\(ok)")

        // A database that does not exist, and a pg_dump older than the server.
        let old = try fixture.directory.write("old.yml", """
        repository: \(fixture.repo)
        password_file: \(fixture.passwordFile)
        \(server(admin, host: admin.host ?? "127.0.0.1", databases: [name, "sbt_no_such_db"],
                 extra: "  pg_dump: [sh, -c, \"echo 'pg_dump (PostgreSQL) 9.6.24'\"]"))
        """)
        let bad = try fixture.runner.run(["config", "check", "--config", old])
        #expect(bad.status == 1, "\(bad)")
        #expect(bad.stdout.contains("\(old):8: error: PostgreSQL: database 'sbt_no_such_db' does not answer"), "\(bad)")
        #expect(bad.stdout.contains("\(old):9: error: pg_dump 9.6.24 is too old"), "\(bad)")
        #expect(!bad.stdout.contains("error: PostgreSQL: database '\(name)'"), "\(bad)")
        #expect(!bad.stdout.contains("pg_restore"), "the real pg_restore fits: \(bad)")
    }

    @Test func aSocketFolderAsHostWorksAndAnUnreachableServerNamesTheDockerWaysIn() throws {
        let admin = try #require(try TestPostgres.requireServer())
        let name = try TestPostgres.createScratchDatabase(prefix: "cfgsocket")
        defer { try? TestPostgres.dropDatabase(name) }
        try PGConnection.connect(admin.withDatabase(name)).execute("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 100) g")
        let fixture = try CLIRepository("stackbackup-cfgsocket")
        _ = chmod(fixture.passwordFile, 0o600)
        let folder = try socketFolder(admin)
        // Only the config may say where the server is: no PG* from the test environment.
        let runner = CLIRunner(environment: ["PGHOST": "", "PGPORT": "", "PGHOSTADDR": ""])
        let socket = try fixture.directory.write("socket.yml", """
        repository: \(fixture.repo)
        password_file: \(fixture.passwordFile)
        \(server(admin, host: folder, databases: [name]))
        """)
        let check = try runner.run(["config", "check", "--config", socket])
        #expect(check.status == 0 && !check.stdout.contains("error"), "\(check)")
        let dump = try runner.run(["backup", "db", "--config", socket])
        #expect(dump.status == 0, "\(dump)")
        let listed = try runner.run(["snapshots", "--source", name, "--json", "--config", socket])
        #expect(listed.stdout.contains("\"\(name)\""), "\(listed)")

        let missing = try fixture.directory.write("missing.yml", """
        repository: \(fixture.repo)
        password_file: \(fixture.passwordFile)
        \(server(admin, host: fixture.directory.sub("no-socket-here"), databases: [name]))
        """)
        let failed = try runner.run(["backup", "db", "--config", missing])
        #expect(failed.status != 0, "\(failed)")
        for hint in ["container's address on its Docker network", "host: /srv/postgres/run"] {
            #expect(failed.stderr.contains(hint), "\(hint): \(failed)")
        }
        let unreachable = try runner.run(["config", "check", "--config", missing])
        #expect(unreachable.status == 1, "\(unreachable)")
        #expect(unreachable.stdout.contains("\(missing):4: error: PostgreSQL does not answer at \(fixture.directory.sub("no-socket-here"))"), "\(unreachable)")
        #expect(unreachable.stdout.contains("Docker network") && unreachable.stdout.contains("host: /srv/postgres/run"), "\(unreachable)")
    }

    @Test func dbCheckSaysWhereItInstalledAmcheckAndAnalyzePrintsWhatApplies() throws {
        let admin = try #require(try TestPostgres.requireServer())
        let name = try TestPostgres.createScratchDatabase(prefix: "amcheck")
        defer { try? TestPostgres.dropDatabase(name) }
        try PGConnection.connect(admin.withDatabase(name)).execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 500)")
        let runner = CLIRunner()

        let help = try runner.run(["db", "check", "--help"])
        #expect(help.stdout.contains("--install-amcheck") && help.stdout.contains("installed into"), "\(help)")

        let first = try runner.run(["db", "check", name, "--install-amcheck"])
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.contains("\(name): installed amcheck (CREATE EXTENSION amcheck in database \(name))"), "\(first)")
        #expect(first.stdout.contains("installed amcheck into 1 database(s): \(name)"), "\(first)")
        let installed = try PGConnection.connect(admin.withDatabase(name)).execute("SELECT count(*) FROM pg_extension WHERE extname = 'amcheck'")
        #expect(installed.string(0, 0) == "1")
        let json = try runner.run(["db", "check", name, "--install-amcheck", "--json"])
        #expect(json.status == 0 && !json.stdout.contains("\"installedAmcheck\" : true") && !json.stdout.contains("\"installed_amcheck\" : true"), "already there: \(json)")
        let second = try runner.run(["db", "check", name, "--install-amcheck"])
        #expect(!second.stdout.contains("installed amcheck"), "\(second)")

        let analyze = try runner.run(["db", "analyze", name])
        #expect(analyze.status == 0, "\(analyze)")
        #expect(analyze.stdout.contains("\(name): statistics updated for 1 table(s) in"), "\(analyze)")
        #expect(!analyze.stdout.contains("reclaimed"), "\(analyze)")
    }
}
