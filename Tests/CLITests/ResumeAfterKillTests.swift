import Foundation
import StackBackupTestSupport
import Testing

/// A first backup killed half way leaves complete packs that no index names;
/// the next backup indexes and reuses them instead of storing the data again.
@Suite("CLI resume after a killed backup")
struct ResumeAfterKillTests {
    static func packBytes(_ fixture: CLIRepository) throws -> Int64 {
        try fixture.packFiles().reduce(0) { total, path in
            let size = try FileManager.default.attributesOfItem(atPath: fixture.repo + "/" + path)[.size] as? Int64 ?? 0
            return total + size
        }
    }

    @Test func aKilledFirstBackupIsContinuedNotRepeated() throws {
        let fixture = try CLIRepository("cli-resume")
        let source = fixture.directory.sub("src")
        for i in 0..<6 { try FileTree.writeRandom(source + "/media/part \(i).bin", count: 16 << 20, seed: UInt64(500 + i)) }

        // The same data backed up without interruption, into a second repository.
        let uninterrupted = try CLIRepository("cli-resume-whole")
        _ = try uninterrupted.backup(source, name: "media")
        let wholeBytes = try Self.packBytes(uninterrupted)

        let process = try fixture.runner.start(["backup", "path", source, "--name", "media", "--repo", fixture.repo,
                                                "--password-file", fixture.passwordFile])
        let reached = try Poll.until(timeout: 120, every: 0.002) { try !process.isRunning || fixture.packFiles().count >= 3 }
        #expect(reached)
        let killedMidway = process.isRunning
        if killedMidway { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(killedMidway, "the backup finished before it could be killed: make the files larger")
        #expect(try fixture.run(["snapshots", "--json"]).stdout.contains("\"id\"") == false, "the killed backup wrote a snapshot")
        let leftBehind = try fixture.packFiles().count

        let rerun = try fixture.run(["backup", "path", source, "--name", "media"])
        #expect(rerun.status == 0, "\(rerun)")
        #expect(rerun.stderr.contains("reused \(leftBehind) pack(s)"), "\(rerun)")

        let bothRuns = try Self.packBytes(fixture)
        let ratio = Double(bothRuns) / Double(wholeBytes)
        #expect(ratio <= 1.05, "the two runs stored \(bothRuns) bytes, an uninterrupted backup \(wholeBytes) (\(ratio)×)")

        #expect(try fixture.run(["verify", "--read-data"]).status == 0)
        let target = fixture.directory.sub("restored")
        let restore = try fixture.run(["restore", "media:latest", "--target", target])
        #expect(restore.status == 0, "\(restore)")
        #expect(try FileTree.capture(target) == FileTree.capture(source))
    }

    @Test func packsOfALiveBackupAreNotTakenOver() throws {
        // A backup that holds its lock (here: a lock taken by the test, as a live
        // process on this host) keeps its unindexed packs to itself.
        let fixture = try CLIRepository("cli-resume-live")
        let source = fixture.directory.sub("src")
        for i in 0..<4 { try FileTree.writeRandom(source + "/part \(i).bin", count: 16 << 20, seed: UInt64(600 + i)) }
        let process = try fixture.runner.start(["backup", "path", source, "--name", "media", "--repo", fixture.repo,
                                                "--password-file", fixture.passwordFile])
        _ = try Poll.until(timeout: 120, every: 0.002) { try !process.isRunning || fixture.packFiles().count >= 2 }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let holder = try fixture.open().lock(exclusive: false, command: "a backup still running")
        defer { try? holder.release() }

        try fixture.directory.write("other/a.txt", "other")
        let other = try fixture.run(["backup", "path", fixture.directory.sub("other"), "--name", "other"])
        #expect(other.status == 0, "\(other)")
        #expect(!other.stderr.contains("reused"), "\(other)")
    }
}
