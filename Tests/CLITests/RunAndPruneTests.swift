import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Issue 4's process-level guarantees: `run` with a failing database, the run
/// lock, backup and prune racing. (Prune killed at random points is in KillTests.)
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct RunAndPruneTests {
    @Test func runWithOneUnreachableDatabaseBacksUpTheRestReportsItAndPingsFailure() throws {
        let server = try #require(try TestPostgres.requireServer())
        let database = try TestPostgres.createScratchDatabase(prefix: "cli_run")
        defer { try? TestPostgres.dropDatabase(database) }
        try StackFixtures.createAutheliaLike(db: server.withDatabase(database), rows: 50)
        let listener = try PingListener()
        defer { listener.stop() }
        let cli = try CLIRepository("cli-run")
        let media = cli.directory.sub("media")
        try FileManager.default.createDirectory(atPath: media, withIntermediateDirectories: true)
        _ = try cli.directory.write("media/a.txt", "hello")
        let config = try cli.directory.write("config.yml", """
        repository: \(cli.repo)
        password_file: \(cli.passwordFile)
        postgres:
          host: \(server.host ?? "127.0.0.1")
          port: \(server.port ?? 5432)
          user: \(server.user ?? "postgres")
          databases: [\(database), no_such_database_here]
        volumes:
          media:
            path: \(media)
        status_file: \(cli.directory.sub("state/status.json"))
        metrics_file: \(cli.directory.sub("state/metrics.prom"))
        hooks:
          healthcheck_url: http://127.0.0.1:\(listener.port)/check-uuid
        """)

        let result = try cli.runner.run(["run", "--config", config])
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("no_such_database_here"))
        let status = try #require(RunStatus.load(path: cli.directory.sub("state/status.json")))
        #expect(status.sources[database]?.error == nil && status.sources[database]?.lastSuccess != nil)
        #expect(status.sources["media"]?.lastSuccess != nil)
        #expect(status.sources["no_such_database_here"]?.error != nil)
        let metrics = try String(contentsOfFile: cli.directory.sub("state/metrics.prom"), encoding: .utf8)
        #expect(metrics.contains("stackbackup_errors{source=\"no_such_database_here\",kind=\"postgres\"} 1"))
        #expect(metrics.contains("stackbackup_errors{source=\"media\",kind=\"volume\"} 0"))
        let requests = listener.requests
        #expect(requests.contains { $0.hasPrefix("POST /check-uuid/start ") })
        #expect(requests.contains { $0.hasPrefix("POST /check-uuid/fail ") })
        #expect(!requests.contains { $0.hasPrefix("POST /check-uuid ") })
    }

    @Test func aSecondRunWaitsThenExitsLockedNamingTheHolder() throws {
        let cli = try CLIRepository("cli-runlock")
        let statusFile = cli.directory.sub("state/status.json")
        let config = try cli.directory.write("config.yml", """
        repository: \(cli.repo)
        password_file: \(cli.passwordFile)
        postgres:
          databases: []
        status_file: \(statusFile)
        """)
        let held = try RunLock.acquire(statusFile: statusFile, wait: 0)
        defer { held.release() }
        let started = Date()
        let result = try cli.runner.run(["run", "--config", config, "--lock-wait", "1"])
        #expect(result.status == 11, "\(result)")
        #expect(Date().timeIntervalSince(started) >= 1)
        #expect(result.stderr.contains("pid \(getpid())"))
    }

    @Test func pruneWaitsForABackupsLockThenProceeds() throws {
        let cli = try CLIRepository("cli-prune-race")
        let source = cli.directory.sub("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        _ = try cli.directory.write("src/a.txt", "one")
        try cli.backup(source, name: "s")
        let repository = try cli.open()
        let backupLock = try repository.lock(exclusive: false, command: "backup s")
        let process = try cli.runner.start(["prune", "--lock-wait", "30", "--repo", cli.repo, "--password-file", cli.passwordFile])
        Thread.sleep(forTimeInterval: 1.5)
        #expect(process.isRunning, "prune did not wait for the backup's lock")
        try backupLock.release()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
