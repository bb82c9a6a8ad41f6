import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// SIGINT and SIGTERM reach a real `stackbackup` process mid-job: it stops at
/// its next unit of work, exits 130 / 143 saying what was kept, removes its
/// lock, writes no snapshot, and leaves a repository that verifies.
@Suite("CLI stop signals")
struct StopSignalTests {
    /// A repository with 1 MiB packs (so the first ones appear long before a
    /// job ends), a baseline snapshot, and 48 MiB of new random data in `src`.
    private func fixture() throws -> (CLIRepository, String) {
        let fixture = try CLIRepository(initialize: false)
        _ = try Repository.initialize(backend: LocalBackend(path: fixture.repo), passphrase: Array(fixture.passphrase.utf8),
                                      kdf: .testing, packSize: 1 << 20)
        let source = fixture.directory.sub("src")
        try fixture.directory.write("src/small.txt", "baseline\n")
        try fixture.backup(source, name: "data")
        for i in 0..<6 { try FileTree.writeRandom(source + "/big/part \(i).bin", count: 8 << 20, seed: UInt64(700 + i)) }
        return (fixture, source)
    }

    private func packs(_ fixture: CLIRepository) throws -> Set<String> {
        Set(try fixture.files(in: "data").filter { !$0.contains("/.tmp-") })
    }

    /// Starts `arguments` (with the repository options), waits until `started`
    /// holds, sends `signal`, and returns the exit status and the output.
    private func interrupt(_ fixture: CLIRepository, _ arguments: [String], signal: Int32,
                           when started: () throws -> Bool) throws -> (status: Int32, output: String) {
        let log = fixture.directory.sub("output-\(UUID().uuidString).log")
        let process = try fixture.runner.start(arguments + ["--repo", fixture.repo, "--password-file", fixture.passwordFile], output: log)
        let reached = try Poll.until(timeout: 120, every: 0.002) { try started() || !process.isRunning }
        let wasRunning = process.isRunning
        if wasRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(reached && wasRunning, "the job ended before the signal could be sent: make the fixture larger\n\(output)")
        return (process.terminationStatus, output)
    }

    private func expectCleanRepository(_ fixture: CLIRepository, snapshots expected: Int) throws {
        #expect(try fixture.files(in: "locks").isEmpty, "a lock was left behind")
        let listing = try fixture.succeed(["snapshots", "--json"])
        let count = (try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [Any])?.count
        #expect(count == expected, "\(listing.stdout)")
        let verify = try fixture.run(["verify", "--read-data"])
        #expect(verify.status == 0, "\(verify)")
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func aSignalDuringABackupWritesNoSnapshotAndReleasesTheLock(signal: Int32, status: Int32) throws {
        let (fixture, source) = try fixture()
        let before = try packs(fixture)
        let result = try interrupt(fixture, ["backup", "path", source, "--name", "data"], signal: signal) {
            try packs(fixture).count > before.count
        }
        #expect(result.status == status, "\(result.output)")
        let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
        #expect(result.output.contains("interrupted by \(name)") && result.output.contains("no snapshot of data was written"), "\(result.output)")
        #expect(!result.output.contains("CancellationError"), "\(result.output)")
        try expectCleanRepository(fixture, snapshots: 1)
        // The next backup completes and reuses what the stopped one stored.
        let next = try fixture.backup(source, name: "data")
        #expect(next.snapshot != nil)
        #expect(next["bytes_read"] > 0)
    }

    @Test func sigtermDuringAPruneDeletesNothingAndKeepsEverySnapshotRestorable() throws {
        let (fixture, source) = try fixture()
        try fixture.backup(source, name: "data")
        // Drop half of each big file: the packs holding it must be repacked, which takes a while.
        for i in 0..<5 {
            let path = source + "/big/part \(i).bin"
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            try handle.truncate(atOffset: 4 << 20)
            try handle.close()
        }
        let kept = try #require(try fixture.backup(source, name: "data").snapshot)
        try fixture.succeed(["forget", "--keep-last", "1"])
        let before = try packs(fixture)
        // Its exclusive lock is written before it marks and repacks. A new pack is no trigger:
        // the last one is written just before the commit point, after which prune finishes.
        let result = try interrupt(fixture, ["prune"], signal: SIGTERM) {
            try !fixture.lockFiles().isEmpty
        }
        #expect(result.status == 143, "\(result.output)")
        #expect(result.output.contains("interrupted by SIGTERM") && result.output.contains("prune deleted nothing"), "\(result.output)")
        #expect(try packs(fixture).isSuperset(of: before), "prune deleted packs although it was stopped")
        try expectCleanRepository(fixture, snapshots: 1)
        let target = fixture.directory.sub("restored")
        try fixture.succeed(["restore", kept, "--target", target])
        #expect(try FileTree.capture(target) == FileTree.capture(source))
        // A prune that is let finish removes what the stopped one left.
        try fixture.succeed(["prune"])
        try expectCleanRepository(fixture, snapshots: 1)
    }

    @Test func sigtermDuringACopyWritesNoHalfCopiedSnapshotAndARerunFinishes() throws {
        let (fixture, source) = try fixture()
        try fixture.backup(source, name: "data")
        let target = fixture.directory.sub("copy")
        _ = try Repository.initialize(backend: LocalBackend(path: target), passphrase: Array(fixture.passphrase.utf8),
                                      kdf: .testing, packSize: 1 << 20)
        let targetPacks = { Set(try FileTree.capture(target + "/data", contents: false).filter { $0.type == "f" }.map { String(decoding: $0.path, as: UTF8.self) }) }
        let result = try interrupt(fixture, ["copy", "--to", target, "--to-password-file", fixture.passwordFile], signal: SIGTERM) {
            try targetPacks().count >= 2
        }
        #expect(result.status == 143, "\(result.output)")
        #expect(result.output.contains("interrupted by SIGTERM") && result.output.contains("run the copy again"), "\(result.output)")
        let copy = try fixture.runner.run(["snapshots", "--json", "--repo", target, "--password-file", fixture.passwordFile])
        let copied = (try JSONSerialization.jsonObject(with: Data(copy.stdout.utf8)) as? [Any])?.count ?? -1
        #expect(copied < 2, "the snapshot being copied was written: \(copy.stdout)")
        #expect(try FileTree.capture(target + "/locks", contents: false).isEmpty, "a lock was left in the target")
        #expect(try fixture.files(in: "locks").isEmpty, "a lock was left in the source")
        let verify = try fixture.runner.run(["verify", "--read-data", "--repo", target, "--password-file", fixture.passwordFile])
        #expect(verify.status == 0, "\(verify)")
        try fixture.succeed(["copy", "--to", target, "--to-password-file", fixture.passwordFile])
        let again = try fixture.runner.run(["snapshots", "--json", "--repo", target, "--password-file", fixture.passwordFile])
        #expect((try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [Any])?.count == 2, "\(again.stdout)")
    }

    @Test func sigtermDuringARestoreLeavesOnlyWholeFiles() throws {
        let (fixture, source) = try fixture()
        let snapshot = try #require(try fixture.backup(source, name: "data").snapshot)
        let target = fixture.directory.sub("restored")
        let result = try interrupt(fixture, ["restore", snapshot, "--target", target], signal: SIGTERM) {
            (try? FileTree.capture(target, contents: false).contains { $0.type == "f" && $0.size > 0 && $0.path.last == UInt8(ascii: "n") }) ?? false
        }
        #expect(result.status == 143, "\(result.output)")
        #expect(result.output.contains("interrupted by SIGTERM") && result.output.contains("--overwrite"), "\(result.output)")
        #expect(try fixture.files(in: "locks").isEmpty, "a lock was left behind")
        // Every file that is there is whole: the ones being written were removed.
        let expected = Dictionary(try FileTree.capture(source).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for entry in try FileTree.capture(target) where entry.type == "f" {
            #expect(entry.digest == expected[entry.path]?.digest, "\(String(decoding: entry.path, as: UTF8.self)) is not whole")
        }
        try fixture.succeed(["restore", snapshot, "--target", target, "--overwrite"])
        #expect(try FileTree.capture(target) == FileTree.capture(source))
    }
}
