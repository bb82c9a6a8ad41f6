import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// SIGINT goes to a real `stackbackup restore` process: signal handlers are
/// process-wide, so this cannot run inside the parallel test process.
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct RestoreSignalTests {
    @Test func sigintDuringARestoreExits130AndLeavesNoScratchDatabase() throws {
        let admin = try #require(try TestPostgres.requireServer())
        let name = try TestPostgres.createScratchDatabase(prefix: "restore_sigint")
        defer { try? TestPostgres.dropDatabase(name) }
        try DrillFixture.fill("umami", admin.withDatabase(name), rows: 150_000)
        let (repository, _, directory) = try makeTestRepositoryFolder(passphrase: "restore-pass")
        try DrillFixture.backup(name, admin: admin, into: repository)
        let target = name + "_copy"
        defer { try? TestPostgres.dropDatabase(target) }

        func leftovers() throws -> [String] {
            let connection = try PGConnection.connect(admin)
            let result = try connection.query("SELECT datname FROM pg_database WHERE datname LIKE $1 || '%' ORDER BY 1", [target])
            return (0..<result.rowCount).compactMap { result.string($0, 0) }
        }

        let runner = CLIRunner(environment: ["STACKBACKUP_PASSWORD": "restore-pass"])
        let process = try runner.start(["restore", name, "--into", target, "--repo", directory.sub("repo"), "--jobs", "1"])
        let deadline = Date().addingTimeInterval(60)
        var seen = false
        while Date() < deadline && process.isRunning {
            if try !leftovers().isEmpty { seen = true; break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(seen, "the restore never created its scratch database")
        // Signal it while it is loading data into that database, not before.
        let working = try Poll.until(timeout: 60) {
            try !process.isRunning || DrillFixture.isWorking(admin: admin, inDatabasesStartingWith: target)
        }
        #expect(working)
        let stillRunning = process.isRunning
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()

        #expect(stillRunning, "the restore ended before SIGINT: make the fixture larger")
        #expect(process.terminationStatus == 130)
        #expect(try leftovers() == [])
    }
}
