import Foundation
import StackBackupTestSupport
import Testing

/// A folder backup that could not store everything as it was says so: exit 3,
/// one summary line naming the paths, every entry under `skipped` in `--json`,
/// and the snapshot (which holds the rest) records how many.
@Suite("CLI partial backups", .serialized)
struct PartialBackupTests {
    /// The `skipped` list of a `backup --json`: path → (reason, folder).
    static func skipped(_ json: String) throws -> [String: (reason: String, folder: Bool)] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "no JSON object: \(json)")
        let list = try #require(object["skipped"] as? [[String: Any]], "no `skipped` list: \(json)")
        var entries: [String: (reason: String, folder: Bool)] = [:]
        for entry in list {
            let path = try #require(entry["path"] as? String)
            entries[path] = (entry["reason"] as? String ?? "?", entry["folder"] as? Bool ?? false)
        }
        return entries
    }

    static func snapshotID(_ json: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["snapshot"] as? String
    }

    @Test func unreadableFilesAndFoldersAsAnUnprivilegedUserMakeThePartialStatus() throws {
        let fixture = try CLIRepository("cli-partial-perm")
        let source = fixture.directory.sub("src")
        try fixture.directory.write("src/readable.txt", "fine\n")
        try fixture.directory.write("src/secret one.txt", "no\n")
        try fixture.directory.write("src/deep/secret-2.txt", "no\n")
        try fixture.directory.write("src/deep/ok.txt", "fine\n")
        try fixture.directory.write("src/locked/inside.txt", "no\n")
        try Unprivileged.giveAway(fixture.directory.path)
        for path in ["secret one.txt", "deep/secret-2.txt", "locked"] { try FileTree.chmod(Array((source + "/" + path).utf8), 0) }

        let result = try Unprivileged.run(["backup", "path", source, "--name", "data", "--json"], fixture: fixture)
        #expect(result.status == 3, "\(result)")
        let skipped = try Self.skipped(result.stdout)
        #expect(Set(skipped.keys) == ["secret one.txt", "deep/secret-2.txt", "locked"], "\(result)")
        #expect(skipped.values.allSatisfy { $0.reason == "unreadable" }, "\(result)")
        #expect(skipped["locked"]?.folder == true && skipped["deep/secret-2.txt"]?.folder == false)
        let summary = try #require(result.stderr.split(separator: "\n").first { $0.contains("3 entries skipped") }, "\(result)")
        for path in skipped.keys { #expect(summary.contains(path), "\(summary)") }

        // The snapshot holds the rest and records the count.
        let id = try #require(Self.snapshotID(result.stdout))
        let target = fixture.directory.sub("restored")
        try fixture.succeed(["restore", id, "--target", target])
        #expect(FileManager.default.contents(atPath: target + "/readable.txt") == Data("fine\n".utf8))
        #expect(FileManager.default.contents(atPath: target + "/deep/ok.txt") == Data("fine\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: target + "/deep/secret-2.txt"))
        let listed = try fixture.succeed(["snapshots", "--json"]).stdout
        #expect(listed.contains("\"entries_skipped\" : 3"), "\(listed)")

        // Without --json: the same exit code and one line naming every path.
        let human = try Unprivileged.run(["backup", "path", source, "--name", "data"], fixture: fixture)
        #expect(human.status == 3, "\(human)")
        let line = try #require(human.stderr.split(separator: "\n").first { $0.contains("saved, 3 entries skipped") }, "\(human)")
        for path in skipped.keys { #expect(line.contains(path), "\(line)") }
    }

    /// The nightly run saves the volume, exits 3 and records the skipped paths
    /// in its status file and the Prometheus textfile.
    @Test func theNightlyRunRecordsAPartialVolumeInItsStatusFile() throws {
        let fixture = try CLIRepository("cli-partial-run")
        let source = fixture.directory.sub("src")
        try fixture.directory.write("src/fine.txt", "fine\n")
        try fixture.directory.write("src/private/key.pem", "no\n")
        let config = try fixture.nightlyConfig(source: source)
        try Unprivileged.giveAway(fixture.directory.path)
        try FileTree.chmod(Array((source + "/private/key.pem").utf8), 0)

        let result = try Unprivileged.run(["run", "--config", config], fixture: fixture, withRepository: false)
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("src: snapshot") && result.stderr.contains("1 entry skipped: private/key.pem (unreadable"), "\(result)")
        #expect(result.stderr.contains("run finished with 1 partial source(s)"), "\(result)")

        let data = try #require(FileManager.default.contents(atPath: fixture.directory.sub("state/status.json")))
        let status = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(status["exit_code"] as? Int == 3, "\(status)")
        let src = try #require((status["sources"] as? [String: Any])?["src"] as? [String: Any], "\(status)")
        #expect(src["last_snapshot"] is String, "the snapshot was not saved: \(src)")
        let skipped = try #require(src["skipped"] as? [[String: Any]], "\(src)")
        #expect(skipped.count == 1 && skipped.first?["path"] as? String == "private/key.pem" && skipped.first?["reason"] as? String == "unreadable")
        let metrics = try String(contentsOfFile: fixture.directory.sub("state/metrics.prom"), encoding: .utf8)
        #expect(metrics.contains("stackbackup_entries_skipped{source=\"src\",kind=\"volume\"} 1"), "\(metrics)")
        #expect(metrics.contains("stackbackup_run_exit_code 3"), "\(metrics)")
    }

    /// The file is rewritten shorter while the backup is stopped in the middle of
    /// its read: the snapshot holds the old or the new version, or the backup
    /// exits 3 naming it, never the torn mix of both.
    @Test func aFileRewrittenDuringItsReadIsNeverStoredTorn() throws {
        let fixture = try CLIRepository("cli-partial-torn")
        let source = fixture.directory.sub("src")
        let file = source + "/big.bin"
        try FileTree.writeRandom(file, count: 48 << 20, seed: 7)
        let original = try FileFacts.digest(file)
        let backup = try ProbedProcess(["backup", "path", source, "--name", "data", "--json", "--repo", fixture.repo,
                                        "--password-file", fixture.passwordFile], environment: fixture.runner.environment)
        let size = Int64(48 << 20)
        var stopped = false
        // Poll until the backup is part-way through the file, then freeze it there.
        while !stopped {
            let midRead = Poll.until(timeout: 60) { backup.openFiles().contains { $0.path == file && $0.offset > 0 && $0.offset < size } }
            try #require(midRead, "the backup never had \(file) open mid-read")
            try #require(backup.stop())
            stopped = backup.openFiles().contains { $0.path == file && $0.offset > 0 && $0.offset < size }
            if !stopped { backup.resume() }
        }
        try FileFacts.rewriteInPlace(file, count: 1 << 20, seed: 8)
        let rewritten = try FileFacts.digest(file)
        backup.resume()
        let result = backup.wait()

        #expect(result.status == 0 || result.status == 3, "\(result)")
        #expect(result.stderr.contains("big.bin"), "the backup did not say big.bin changed while it was read: \(result)")
        if result.status == 3 {
            #expect(try Self.skipped(result.stdout)["big.bin"]?.reason == "changed_while_read", "\(result)")
        }
        let id = try #require(Self.snapshotID(result.stdout), "\(result)")
        let target = fixture.directory.sub("restored")
        try fixture.succeed(["restore", id, "--target", target])
        let stored = try FileFacts.digest(target + "/big.bin")
        #expect(stored == rewritten || stored == original || result.status == 3,
                "the snapshot holds a torn big.bin (\(stored)), neither the old (\(original)) nor the new (\(rewritten)) version")
        #expect(result.status == 3 || stored == rewritten, "a consistent re-read stores what is on disk now: \(result)")
    }

    /// A writer rewrites the head of the file in a loop for as long as the
    /// backup runs (in place, so the file does not outgrow the reader): both
    /// reads see its mtime and ctime move, so it is stored as read and named.
    @Test func aFileThatKeepsChangingIsStoredAndNamed() throws {
        let fixture = try CLIRepository("cli-partial-changing")
        let source = fixture.directory.sub("src")
        let file = source + "/changing.log"
        try FileTree.writeRandom(file, count: 16 << 20, seed: 9)
        try fixture.directory.write("src/still.txt", "still\n")
        let written = try FileFacts.changeTime(file)
        // `1<>` opens read-write without truncating: each pass overwrites the first line.
        let writer = try Process.run(URL(fileURLWithPath: "/bin/sh"),
                                     arguments: ["-c", "while :; do echo 'a line that never settles' 1<>\"$1\"; done", "sh", file])
        // SIGKILL: a child of the test runner inherits its blocked SIGTERM.
        defer { kill(writer.processIdentifier, SIGKILL); writer.waitUntilExit() }
        #expect(Poll.until(timeout: 30) { (try? FileFacts.changeTime(file)) ?? written != written }, "the writer never wrote")

        let result = try fixture.run(["backup", "path", source, "--name", "data", "--json"])
        #expect(result.status == 3, "\(result)")
        #expect(try Self.skipped(result.stdout).mapValues(\.reason) == ["changing.log": "changed_while_read"], "\(result)")
        #expect(result.stderr.contains("changing.log (changed while being read)"), "\(result)")
        // Stored as read: the file is in the snapshot, beside the stable one.
        let listing = try fixture.succeed(["ls", try #require(Self.snapshotID(result.stdout))]).stdout
        #expect(listing.contains("changing.log") && listing.contains("still.txt"), "\(listing)")
    }

    /// Small files are deleted while every reader is busy with a big file, so
    /// some are listed but gone before they are read: each small file is either
    /// in the snapshot or named as vanished, never silently missing.
    @Test func filesThatVanishBeforeTheirReadAreNamed() throws {
        let fixture = try CLIRepository("cli-partial-vanish")
        let source = fixture.directory.sub("src")
        let small = (0..<300).map { "note-\($0).txt" }
        for name in small { try fixture.directory.write("src/" + name, "note \(name)\n") }
        let bigs = (0..<6).map { source + "/big-\($0).bin" }
        for (i, big) in bigs.enumerated() { try FileTree.writeRandom(big, count: 16 << 20, seed: UInt64(20 + i)) }
        let readers = ProcessInfo.processInfo.activeProcessorCount  // the CLI's default parallelism

        let backup = try ProbedProcess(["backup", "path", source, "--name", "data", "--json", "--repo", fixture.repo,
                                        "--password-file", fixture.passwordFile], environment: fixture.runner.environment)
        func busyReaders() -> Int { Set(backup.openFiles().map(\.path)).intersection(bigs).count }
        // Every reader holding a big file means no reader can take a small file
        // queued after them until SIGCONT.
        var frozen = false
        while !frozen {
            try #require(Poll.until(timeout: 60) { busyReaders() >= readers }, "the readers never all held a big file at once")
            try #require(backup.stop())
            frozen = busyReaders() >= readers
            if !frozen { backup.resume() }
        }
        for name in small { unlink(source + "/" + name) }
        backup.resume()
        let result = backup.wait()

        #expect(result.status == 3, "\(result)")
        let skipped = try Self.skipped(result.stdout)
        #expect(!skipped.isEmpty && skipped.values.allSatisfy { $0.reason == "vanished" }, "\(result)")
        #expect(Set(skipped.keys).isSubset(of: small), "\(skipped.keys.sorted())")
        // The summary line names the first 20 by path, then says how many more `--json` lists.
        let summary = try #require(result.stderr.split(separator: "\n").first { $0.contains("skipped:") }, "\(result)")
        for path in skipped.keys.sorted().prefix(20) { #expect(summary.contains(path), "\(path) not named: \(summary)") }
        if skipped.count > 20 { #expect(summary.hasSuffix("and \(skipped.count - 20) more, see --json"), "\(summary)") }
        let listing = try fixture.succeed(["ls", try #require(Self.snapshotID(result.stdout))]).stdout
        let stored = Set(listing.split(separator: "\n").map(String.init)).intersection(small)
        #expect(stored.isDisjoint(with: skipped.keys), "a vanished file is also in the snapshot")
        #expect(stored.union(skipped.keys) == Set(small), "small files neither stored nor named: \(Set(small).subtracting(stored).subtracting(skipped.keys).sorted())")
    }

    /// A chain of folders whose full path is longer than PATH_MAX: either the
    /// whole chain is in the snapshot (a walker that opens relative to folder
    /// descriptors) or the backup exits 3 naming where it stopped; never exit 0
    /// with the deep part missing.
    @Test func aPathTooLongForTheOSIsNeverDroppedSilently() throws {
        let fixture = try CLIRepository("cli-partial-long")
        let source = fixture.directory.sub("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let component = String(repeating: "d", count: 250)
        let depth = 20  // 20 × 251 bytes: past PATH_MAX (4096) from the middle on
        try PathMaxChain.make(under: source, component: component, depth: depth, leaf: "bottom.txt")
        defer { PathMaxChain.remove(source) }

        let result = try fixture.run(["backup", "path", source, "--name", "data", "--json"])
        if result.status == 0 {
            let listing = try fixture.succeed(["ls", try #require(Self.snapshotID(result.stdout))]).stdout
            #expect(listing.contains("bottom.txt"), "exit 0 but the deepest file is not in the snapshot: \(result)")
        } else {
            #expect(result.status == 3, "\(result)")
            let skipped = try Self.skipped(result.stdout)
            #expect(!skipped.isEmpty && skipped.values.allSatisfy { $0.reason == "name_too_long" }, "\(result)")
            #expect(skipped.keys.allSatisfy { $0.hasPrefix(component + "/") }, "\(skipped.keys)")
        }
    }
}
