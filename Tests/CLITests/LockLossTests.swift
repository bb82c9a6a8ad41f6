import Foundation
import StackBackupTestSupport
import Testing

/// A backup that loses its lock while it is stopped (SIGSTOP, a VM pause, a
/// laptop lid) must not write a snapshot when it resumes: another process
/// may have removed the lock and pruned the data the snapshot would name.
@Suite("CLI lock loss")
struct LockLossTests {
    @Test func aStoppedBackupWhoseLockWasRemovedAndDataPrunedWritesNoSnapshot() throws {
        let fixture = try CLIRepository("cli-lock-lost")
        let source = fixture.directory.sub("src")
        // 48 MiB of incompressible data: three packs, so the backup still runs after its first.
        for i in 0..<3 { try FileTree.writeRandom(source + "/part \(i).bin", count: 16 << 20, seed: UInt64(7 + i)) }
        let backup = try ChildProcess(fixture.runner, ["backup", "path", source, "--name", "data", "--repo", fixture.repo,
                                                       "--password-file", fixture.passwordFile],
                                      stderrPath: fixture.directory.sub("backup.stderr"))
        defer { backup.reap() }

        try poll("the backup's first pack") { try !fixture.packFiles().isEmpty || !backup.process.isRunning }
        try #require(backup.process.isRunning, "the backup finished before it could be stopped: \(backup.stderr)")
        kill(backup.pid, SIGSTOP)
        try poll("the backup to stop") { backup.state == "T" }
        let stoppedWith = try fixture.packFiles()

        // Another process removes the lock (its process looks alive, hence --all) and prunes.
        try fixture.succeed(["unlock", "--all"])
        #expect(try fixture.lockFiles().isEmpty)
        try fixture.succeed(["prune"])
        #expect(try fixture.packFiles().isDisjoint(with: stoppedWith), "prune kept the stopped backup's unindexed packs")

        kill(backup.pid, SIGCONT)
        backup.process.waitUntilExit()
        let stderr = backup.stderr
        #expect(backup.process.terminationReason == .exit && backup.process.terminationStatus == 11, "exit \(backup.process.terminationStatus): \(stderr)")
        #expect(stderr.contains("lock") && stderr.contains("was lost") && stderr.contains("snapshot was written")
                && stderr.contains("run the backup again"), "\(stderr)")
        #expect(try fixture.files(in: "snapshots").isEmpty, "a snapshot was written after the lock was lost")
        #expect(try fixture.lockFiles().isEmpty, "the backup left a lock behind")
        let verify = try fixture.run(["verify", "--read-data"])
        #expect(verify.status == 0, "\(verify)")
    }
}
