import Foundation
import StackBackupTestSupport
import Testing

/// A backup or prune killed with SIGKILL at any point leaves a repository that
/// verifies, whose kept snapshots restore, and where the next run works.
@Suite("CLI crash safety")
struct KillTests {
    @Test func backupsKilledAtRandomPointsLeaveAVerifiableRepository() throws {
        let fixture = try CLIRepository()
        let source = fixture.directory.sub("src")
        for i in 0..<30 { try fixture.directory.write("src/base/file \(i).txt", String(repeating: "base \(i) ", count: 100 * i)) }
        let baseline = try #require(try fixture.backup(source, name: "data").snapshot)
        let baselineTree = try FileTree.capture(source)

        // ≈ 200 MB more: six 32 MiB files and 200 small ones.
        for i in 0..<6 { try FileTree.writeRandom(source + "/big/part \(i).bin", count: 32 << 20, seed: UInt64(100 + i)) }
        for i in 0..<200 { try fixture.directory.write("src/many/\(i % 10)/note \(i).txt", "note \(i)\n") }

        var random = SystemRandomNumberGenerator()
        let windows: [ClosedRange<Double>] = [0.05...0.6, 0.6...2, 2...4, 4...7, 7...11]
        var killed = 0
        for window in windows {
            let delay = Double.random(in: window, using: &random)
            let process = try fixture.runner.start(["backup", "path", source, "--name", "data", "--repo", fixture.repo,
                                                    "--password-file", fixture.passwordFile])
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let context = "killed after \(String(format: "%.2f", delay)) s"
            if process.terminationReason == .uncaughtSignal { killed += 1 }
            if process.terminationReason == .exit {
                #expect(process.terminationStatus == 0, "\(context): the backup ended by itself with \(process.terminationStatus)")
            }

            // The killed process's lock is stale on this host: unlock removes it, nothing else is needed.
            let unlock = try fixture.run(["unlock"])
            #expect(unlock.status == 0, "\(context): \(unlock)")
            #expect(try fixture.files(in: "locks").isEmpty, "\(context): unlock left a lock of a dead process")

            let verify = try fixture.run(["verify", "--read-data"])
            #expect(verify.status == 0, "\(context): \(verify)")

            let target = fixture.directory.sub("baseline-\(window.lowerBound)")
            let restore = try fixture.run(["restore", baseline, "--target", target])
            #expect(restore.status == 0, "\(context): \(restore)")
            #expect(try FileTree.capture(target) == baselineTree, "\(context): the earlier snapshot restored differently")
            try? FileManager.default.removeItem(atPath: target)
        }

        #expect(killed >= 3, "only \(killed) of \(windows.count) backups were still running when the kill came")

        let next = try fixture.backup(source, name: "data")
        let latest = try #require(next.snapshot)
        #expect(try fixture.run(["verify", "--read-data"]).status == 0)
        let target = fixture.directory.sub("final")
        let restore = try fixture.run(["restore", latest, "--target", target])
        #expect(restore.status == 0, "\(restore)")
        #expect(try FileTree.capture(target) == FileTree.capture(source), "the backup after the kills restored differently")
    }

    /// Each round forgets two thirds of the data, then kills a prune at a
    /// random fraction of how long a whole prune took here, early to late.
    @Test func pruneKilledAtRandomPointsLosesNothing() throws {
        let cli = try CLIRepository("cli-prune-kill")
        let source = cli.directory.sub("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        var data = SeededRandom(seed: 42)
        // Three generations of three changing 3 MB files; only the newest stays, so prune
        // deletes some packs and repacks others.
        func addDeadData() throws {
            for generation in 0..<3 {
                try Data(data.bytes(3_000_000)).write(to: URL(fileURLWithPath: source + "/data-\(generation).bin"))
                try cli.backup(source, name: "s")
            }
            try cli.succeed(["forget", "--keep-last", "1"])
        }

        // Time one whole prune of the same shape, so the kills land across a prune on this machine.
        try addDeadData()
        let started = Date()
        try cli.succeed(["prune", "--max-unused", "0%"])
        let duration = Date().timeIntervalSince(started)

        var random = SystemRandomNumberGenerator()
        let windows: [ClosedRange<Double>] = [0.02...0.2, 0.2...0.4, 0.4...0.6, 0.6...0.8, 0.8...0.95]
        var killed = 0
        for (round, window) in windows.enumerated() {
            try addDeadData()
            let delay = duration * Double.random(in: window, using: &random)
            let process = try cli.runner.start(["prune", "--max-unused", "0%", "--repo", cli.repo, "--password-file", cli.passwordFile])
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let context = "round \(round), killed after \(String(format: "%.2f", delay)) s of a \(String(format: "%.2f", duration)) s prune"
            if process.terminationReason == .uncaughtSignal {
                killed += 1
            } else {
                #expect(process.terminationStatus == 0, "\(context): prune ended by itself with \(process.terminationStatus)")
            }

            try cli.succeed(["unlock"])
            let verify = try cli.run(["verify", "--read-data"])
            #expect(verify.status == 0, "\(context): \(verify)")
            let listed = try cli.succeed(["snapshots", "--json"])
            let snapshots = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [Any]
            #expect(snapshots?.count == 1, "\(context): prune changed the snapshots: \(listed.stdout)")
            let target = cli.directory.sub("restore-\(round)")
            let restore = try cli.run(["restore", "s:latest", "--target", target])
            #expect(restore.status == 0, "\(context): \(restore)")
            #expect(try FileTree.capture(target) == FileTree.capture(source), "\(context): the kept snapshot restored differently")
            try? FileManager.default.removeItem(atPath: target)
        }

        #expect(killed >= 3, "only \(killed) of \(windows.count) prunes were still running when the kill came")

        // A final prune completes and leaves a clean repository.
        try cli.succeed(["prune", "--max-unused", "0%"])
        #expect(try cli.run(["verify", "--read-data"]).status == 0)
    }
}
