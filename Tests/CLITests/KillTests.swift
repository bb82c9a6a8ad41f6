import Foundation
import StackBackupTestSupport
import Testing

/// A backup or prune killed with SIGKILL at any point leaves a repository that
/// verifies, whose kept snapshots restore, and where the next run works.
@Suite("CLI crash safety")
struct KillTests {
    @Test func backupsKilledAtEachStageLeaveAVerifiableRepository() throws {
        let fixture = try CLIRepository()
        let source = fixture.directory.sub("src")
        for i in 0..<30 { try fixture.directory.write("src/base/file \(i).txt", String(repeating: "base \(i) ", count: 100 * i)) }
        let baseline = try #require(try fixture.backup(source, name: "data").snapshot)
        let baselineTree = try FileTree.capture(source)

        // ≈ 200 MB more: six 32 MiB files and 200 small ones.
        for i in 0..<6 { try FileTree.writeRandom(source + "/big/part \(i).bin", count: 32 << 20, seed: UInt64(100 + i)) }
        for i in 0..<200 { try fixture.directory.write("src/many/\(i % 10)/note \(i).txt", "note \(i)\n") }

        // Kill points are stages of the backup's own progress, seen in the repository:
        // its lock written, then 1, 3, 6 and 10 new packs (of about 13) stored.
        let basePacks = try fixture.packFiles()
        let stages: [(name: String, reached: () throws -> Bool)] = [
            ("its lock written", { try !fixture.lockFiles().isEmpty }),
        ] + [1, 3, 6, 10].map { count in
            ("\(count) new packs stored", { try fixture.packFiles().subtracting(basePacks).count >= count })
        }
        var killed = 0
        for (round, stage) in stages.enumerated() {
            let process = try fixture.runner.start(["backup", "path", source, "--name", "data", "--repo", fixture.repo,
                                                    "--password-file", fixture.passwordFile])
            _ = try Poll.until(timeout: 120, every: 0.002) { try !process.isRunning || stage.reached() }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let context = "round \(round), killed once \(stage.name)"
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

            let target = fixture.directory.sub("baseline-\(round)")
            let restore = try fixture.run(["restore", baseline, "--target", target])
            #expect(restore.status == 0, "\(context): \(restore)")
            #expect(try FileTree.capture(target) == baselineTree, "\(context): the earlier snapshot restored differently")
            try? FileManager.default.removeItem(atPath: target)
        }

        #expect(killed >= 3, "only \(killed) of \(stages.count) backups were still running when the kill came")

        let next = try fixture.backup(source, name: "data")
        let latest = try #require(next.snapshot)
        #expect(try fixture.run(["verify", "--read-data"]).status == 0)
        let target = fixture.directory.sub("final")
        let restore = try fixture.run(["restore", latest, "--target", target])
        #expect(restore.status == 0, "\(restore)")
        #expect(try FileTree.capture(target) == FileTree.capture(source), "the backup after the kills restored differently")
    }

    /// Each round forgets two thirds of the data, then kills a prune at a
    /// later stage of its work, early to late.
    @Test func pruneKilledAtEachStageLosesNothing() throws {
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

        // Kill points are stages of the prune's own progress, seen in the repository: its
        // exclusive lock written, then 1, 2, 4 and 8 pack or index files added or removed.
        try addDeadData()
        try cli.succeed(["prune", "--max-unused", "0%"])

        func repositoryFiles() throws -> Set<String> {
            try cli.packFiles().union(cli.finalNames(in: "index"))
        }
        let stages: [(name: String, changes: Int)] = [("its lock written", 0), ("1 file changed", 1), ("2 files changed", 2),
                                                      ("4 files changed", 4), ("8 files changed", 8)]
        var killed = 0
        for (round, stage) in stages.enumerated() {
            try addDeadData()
            let before = try repositoryFiles()
            let process = try cli.runner.start(["prune", "--max-unused", "0%", "--repo", cli.repo, "--password-file", cli.passwordFile])
            _ = try Poll.until(timeout: 120, every: 0.002) {
                guard process.isRunning else { return true }
                if stage.changes == 0 { return try !cli.lockFiles().isEmpty }
                return try repositoryFiles().symmetricDifference(before).count >= stage.changes
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let context = "round \(round), killed once \(stage.name)"
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

        #expect(killed >= 3, "only \(killed) of \(stages.count) prunes were still running when the kill came")

        // A final prune completes and leaves a clean repository.
        try cli.succeed(["prune", "--max-unused", "0%"])
        #expect(try cli.run(["verify", "--read-data"]).status == 0)
    }
}
