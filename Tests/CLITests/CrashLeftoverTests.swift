import Foundation
import StackBackupTestSupport
import Testing

/// What crashes leave in a repository — lock files of processes that died on
/// this host and temp files of interrupted writes — is removed by prune and
/// reported, so repeated crashes do not leak disk.
@Suite("CLI crash leftovers")
struct CrashLeftoverTests {
    @Test func pruneRemovesLocksOfDeadProcessesAndTempFilesOlderThanADay() throws {
        let fixture = try CLIRepository("cli-leftovers")
        let source = fixture.directory.sub("src")
        for i in 0..<3 { try FileTree.writeRandom(source + "/part \(i).bin", count: 16 << 20, seed: UInt64(40 + i)) }

        // Two backups SIGKILLed while they hold their locks.
        for round in 0..<2 {
            let before = try fixture.lockFiles()
            let process = try fixture.runner.start(["backup", "path", source, "--name", "data", "--repo", fixture.repo,
                                                    "--password-file", fixture.passwordFile])
            try poll("the lock of backup \(round)") { try !fixture.lockFiles().isSubset(of: before) || !process.isRunning }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try #require(process.terminationReason == .uncaughtSignal, "backup \(round) ended before the kill")
        }
        #expect(try fixture.lockFiles().count == 2)

        // Temp files as a killed write leaves them: a 2 MiB partial pack and a
        // partial snapshot from two days ago, and a partial pack of a minute ago.
        let twoDaysAgo = Date().addingTimeInterval(-2 * 86_400)
        let oldPack = try plantTempFile(fixture, "data/ab", bytes: 2 << 20, modified: twoDaysAgo)
        let oldSnapshot = try plantTempFile(fixture, "snapshots", bytes: 300, modified: twoDaysAgo)
        let young = try plantTempFile(fixture, "data/cd", bytes: 1 << 20, modified: Date().addingTimeInterval(-60))

        let result = try fixture.succeed(["prune", "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["locksRemoved"] as? Int == 2, "\(result.stdout)")
        #expect(report["tempFilesRemoved"] as? Int == 2, "\(result.stdout)")
        #expect(report["tempBytesRemoved"] as? Int == (2 << 20) + 300, "\(result.stdout)")
        #expect(try fixture.lockFiles().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: oldPack) && !FileManager.default.fileExists(atPath: oldSnapshot))
        #expect(FileManager.default.fileExists(atPath: young), "a temp file younger than a day was removed")

        // The console summary says so too.
        _ = try plantTempFile(fixture, "index", bytes: 1000, modified: twoDaysAgo)
        let text = try fixture.succeed(["prune"])
        #expect(text.stdout.contains("removed 0 lock file(s) of dead processes and 1 temp file(s) older than a day (1000 B)"), "\(text)")
        #expect(try fixture.run(["verify", "--read-data"]).status == 0)
    }

    /// Writes a file named as `LocalBackend` names its temp files into `folder`.
    private func plantTempFile(_ fixture: CLIRepository, _ folder: String, bytes: Int, modified: Date) throws -> String {
        let directory = fixture.repo + "/" + folder
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/.tmp-0123456789abcdef-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try Data(repeating: 0x5a, count: bytes).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path)
        return path
    }
}
