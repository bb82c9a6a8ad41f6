import Foundation
import StackBackupTestSupport
import Testing

/// The nightly run waits for a repository lock held by a command started by
/// hand (a prune, a key change) instead of failing every source at once.
@Suite struct RunLockWaitTests {
    @Test func theNightlyRunWaitsForAnExclusiveLockThenBacksUpEverySource() throws {
        let fixture = try CLIRepository("stackbackup-runwait")
        try FileTree.writeRandom(fixture.directory.sub("src/data.bin"), count: 256 << 10, seed: 12)
        let config = try fixture.nightlyConfig(source: fixture.directory.sub("src"))
        let lock = try fixture.open().lock(exclusive: true, command: "prune started by hand")
        let started = Date()
        let releaser = Thread { Thread.sleep(forTimeInterval: 1.5); try? lock.release() }
        releaser.start()
        let run = try fixture.runner.run(["run", "--config", config])
        #expect(run.status == 0 && run.stderr.contains("all sources backed up"), "\(run)")
        #expect(Date().timeIntervalSince(started) >= 1.4, "the run did not wait for the lock")

        // `status` reads what the run recorded: as a table, and as JSON for a Homepage widget.
        let table = try fixture.runner.run(["status", "--config", config])
        #expect(table.status == 0 && table.stdout.contains("src") && table.stdout.contains("ok"), "\(table)")
        let json = try fixture.runner.run(["status", "--config", config, "--json"])
        let status = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json)")
        #expect(status["healthy"] as? Bool == true && status["exit_code"] as? Int == 0)
        let sources = try #require(status["sources"] as? [String: [String: Any]])
        let src = try #require(sources["src"], "\(sources)")
        #expect(sources.count == 1 && src["state"] as? String == "ok" && src["healthy"] as? Bool == true)
        #expect((src["bytes_total"] as? Int ?? 0) >= 256 << 10 && (src["age_seconds"] as? Double ?? -1) >= 0)
    }
}
