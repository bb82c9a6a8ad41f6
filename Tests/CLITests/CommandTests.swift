import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Listing, comparing and addressing snapshots, options recorded in them,
/// dry runs, and the key commands.
@Suite("CLI commands")
struct CommandTests {
    private func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    private func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    @Test func lsAndDiffShowPathsAndChanges() throws {
        let fixture = try CLIRepository()
        try fixture.directory.write("src/removed.txt", "gone soon")
        try fixture.directory.write("src/changed.txt", "before")
        try fixture.directory.write("src/same.txt", "same")
        try fixture.directory.write("src/dir/inner.txt", "inner")
        let source = fixture.directory.sub("src")
        let first = try #require(try fixture.backup(source, name: "s").snapshot)
        try FileManager.default.removeItem(atPath: source + "/removed.txt")
        try fixture.directory.write("src/changed.txt", "after, longer")
        try fixture.directory.write("src/added.txt", "new")
        let second = try #require(try fixture.backup(source, name: "s").snapshot)

        let all = try fixture.succeed(["ls", "s:latest"])
        #expect(lines(all.stdout) == ["added.txt", "changed.txt", "dir", "dir/inner.txt", "same.txt"], "\(all)")
        let sub = try fixture.succeed(["ls", String(second.prefix(10)), "dir"])
        #expect(lines(sub.stdout).contains("dir/inner.txt") && !sub.stdout.contains("same.txt"), "\(sub)")
        let long = try fixture.succeed(["ls", "s:latest", "--long"])
        #expect(long.stdout.contains("file") && long.stdout.contains("644") && long.stdout.contains(" 13 "), "\(long)")
        let missing = try fixture.run(["ls", "s:latest", "no/such/path"])
        #expect(missing.status != 0 && missing.endedCleanly, "\(missing)")

        let diff = try fixture.succeed(["diff", String(first.prefix(8)), String(second.prefix(8))])
        #expect(Set(lines(diff.stdout)) == ["+  added.txt", "-  removed.txt", "M  changed.txt"], "\(diff)")
        let diffJSON = try #require(try json(fixture.succeed(["diff", first, second, "--json"]).stdout) as? [[String: String]])
        #expect(Set(diffJSON.map { $0["change"]! + $0["path"]! }) == ["+added.txt", "-removed.txt", "Mchanged.txt"])
        let none = try fixture.succeed(["diff", second, second])
        #expect(none.stdout.isEmpty, "\(none)")
    }

    @Test func snapshotsJSONParsesAndRecordsTagsTimeAndSource() throws {
        let fixture = try CLIRepository()
        try fixture.directory.write("src/a.txt", "a")
        let source = fixture.directory.sub("src")
        try fixture.backup(source, name: "plain")
        let tagged = try fixture.backup(source, name: "tagged", extra: ["--tag", "nightly", "--tag", "before-upgrade", "--time", "2024-01-02T03:04:05Z"])

        let listing = try fixture.succeed(["snapshots", "--json"])
        let all = try #require(try json(listing.stdout) as? [[String: Any]])
        #expect(all.count == 2)
        // Oldest first: the recorded 2024 time sorts before now.
        let first = try #require(all.first)
        #expect(first["id"] as? String == tagged.snapshot)
        #expect(first["source"] as? String == "tagged" && first["kind"] as? String == "volume")
        #expect(first["tags"] as? [String] == ["nightly", "before-upgrade"])
        #expect(first["time"] as? String == "2024-01-02T03:04:05Z")
        #expect(first["path"] as? String == source)
        let stats = try #require(first["stats"] as? [String: Any])
        #expect((stats["bytes_total"] as? NSNumber)?.intValue == 1 && (stats["files_new"] as? NSNumber)?.intValue == 1)

        let byTag = try #require(try json(fixture.succeed(["snapshots", "--json", "--tag", "nightly"]).stdout) as? [[String: Any]])
        #expect(byTag.count == 1 && byTag.first?["id"] as? String == tagged.snapshot)
        let bySource = try #require(try json(fixture.succeed(["snapshots", "--json", "--source", "plain"]).stdout) as? [[String: Any]])
        #expect(bySource.count == 1 && bySource.first?["source"] as? String == "plain")

        let table = try fixture.succeed(["snapshots"])
        #expect(table.stdout.contains("nightly,before-upgrade") && table.stdout.contains("2024-01-0"), "\(table)")

        let badTime = try fixture.run(["backup", "path", source, "--name", "x", "--time", "yesterday-ish"])
        #expect(badTime.status == 64, "\(badTime)")
    }

    @Test func aDryRunWritesNothing() throws {
        let fixture = try CLIRepository()
        try FileTree.writeRandom(fixture.directory.sub("src-data"), count: 1 << 20, seed: 3)
        try FileManager.default.createDirectory(atPath: fixture.directory.sub("src"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: fixture.directory.sub("src-data"), toPath: fixture.directory.sub("src/data.bin"))
        // The lock a dry run holds while it reads is gone afterwards; only the locks folder's mtime may differ.
        func withoutLocksFolder() throws -> [String] { try fixture.listing().filter { !$0.hasPrefix("d locks ") } }
        let before = try withoutLocksFolder()
        let dry = try fixture.backup(fixture.directory.sub("src"), name: "s", extra: ["--dry-run"])
        #expect(dry.dryRun && dry.snapshot == nil)
        #expect(dry["bytes_added"] >= Double(1 << 20), "a dry run should report what it would add")
        #expect(try withoutLocksFolder() == before, "a dry run changed the repository")
        #expect(try fixture.succeed(["snapshots", "--json"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]"
                || (try json(fixture.succeed(["snapshots", "--json"]).stdout) as? [Any])?.isEmpty == true)
    }

    @Test func sourceLatestResolvesToTheNewestSnapshotOfThatSource() throws {
        let fixture = try CLIRepository()
        try fixture.directory.write("alpha/only-in-alpha.txt", "a1")
        try fixture.directory.write("beta/only-in-beta.txt", "b")
        let a1 = try #require(try fixture.backup(fixture.directory.sub("alpha"), name: "alpha").snapshot)
        let b1 = try #require(try fixture.backup(fixture.directory.sub("beta"), name: "beta").snapshot)
        try fixture.directory.write("alpha/second.txt", "a2")
        let a2 = try fixture.backup(fixture.directory.sub("alpha"), name: "alpha")
        #expect(a2.parent == a1, "the parent is the newest snapshot of the same source")

        let alpha = try fixture.succeed(["ls", "alpha:latest"])
        #expect(lines(alpha.stdout) == ["only-in-alpha.txt", "second.txt"], "\(alpha)")
        let beta = try fixture.succeed(["ls", "beta:latest", "--json"])
        let entries = try #require(try json(beta.stdout) as? [[String: Any]])
        #expect(entries.map { $0["path"] as? String } == ["only-in-beta.txt"])

        // restore accepts SOURCE:latest, a bare source name, and an id prefix.
        for (spec, expected) in [("beta:latest", "only-in-beta.txt"), ("alpha", "second.txt"), (String(b1.prefix(6)), "only-in-beta.txt")] {
            let target = fixture.directory.sub("restore-\(spec.replacingOccurrences(of: ":", with: "-"))")
            let restore = try fixture.run(["restore", spec, "--target", target])
            #expect(restore.status == 0, "\(spec): \(restore)")
            #expect(FileManager.default.fileExists(atPath: target + "/" + expected), "\(spec)")
        }
    }

    @Test func unknownAndMalformedSnapshotsAreClearErrors() throws {
        let fixture = try CLIRepository()
        try fixture.directory.write("src/a", "a")
        try fixture.backup(fixture.directory.sub("src"), name: "s")
        let unknownSource = try fixture.run(["ls", "nosuch:latest"])
        #expect(unknownSource.status == 1 && unknownSource.stderr.contains("nosuch"), "\(unknownSource)")
        let unknownID = try fixture.run(["ls", "0000000000"])
        #expect(unknownID.status == 1 && unknownID.stderr.contains("no snapshot"), "\(unknownID)")
        let malformed = try fixture.run(["diff", "xyz", "s:latest"])
        #expect(malformed.status == 64 && malformed.stderr.contains("is not a snapshot"), "\(malformed)")
        let unknownRestore = try fixture.run(["restore", "nothing-here", "--target", fixture.directory.sub("out")])
        #expect(unknownRestore.status == 1 && unknownRestore.stderr.contains("nothing-here"), "\(unknownRestore)")
        let noTarget = try fixture.run(["restore", "s:latest"])
        #expect(noTarget.status == 64 && noTarget.stderr.contains("--target"), "\(noTarget)")
    }

    @Test func anAmbiguousIdPrefixIsRefusedWithTheCandidates() throws {
        let fixture = try CLIRepository()
        try fixture.directory.write("src/a", "a")
        let record = try fixture.open().resolveSnapshot(try #require(try fixture.backup(fixture.directory.sub("src"), name: "s").snapshot))
        // Save copies of the snapshot (each sealed with a fresh salt, so a fresh id) until two share 4 hex digits.
        let repository = try fixture.open()
        var seen: [String: String] = [String(record.id.hex.prefix(4)): record.id.hex]
        var shared: String?
        for i in 0..<3_000 where shared == nil {
            var copy = record.snapshot
            copy.tags = ["copy \(i)"]
            let id = try repository.saveSnapshot(copy).hex
            let prefix = String(id.prefix(4))
            if seen[prefix] != nil { shared = prefix } else { seen[prefix] = id }
        }
        let prefix = try #require(shared)
        let result = try fixture.run(["ls", prefix])
        #expect(result.status != 0 && result.endedCleanly, "\(result)")
        #expect(result.stderr.contains("give more digits"), "\(result)")
        let unique = try fixture.run(["ls", String(try #require(seen[prefix]).prefix(12))])
        #expect(unique.status == 0, "\(unique)")
    }

    @Test func keysCanBeAddedListedChangedAndRemoved() throws {
        let fixture = try CLIRepository()
        let second = try fixture.directory.write("second", "second passphrase\n")
        let third = try fixture.directory.write("third", "third passphrase\n")
        let original = try #require(try json(fixture.succeed(["key", "list", "--json"]).stdout) as? [[String: Any]])
        #expect(original.count == 1 && original.first?["current"] as? Bool == true)
        let originalID = try #require(original.first?["id"] as? String)

        let added = try fixture.succeed(["key", "add", "--new-password-file", second])
        #expect(added.stderr.contains("added key"), "\(added)")
        let both = try #require(try json(fixture.run(["key", "list", "--json"], passwordFile: second).stdout) as? [[String: Any]])
        #expect(both.count == 2)
        #expect(both.first { $0["id"] as? String == originalID }?["current"] as? Bool == false, "the key in use is marked for the second passphrase")
        #expect(try fixture.run(["key", "list"]).stdout.contains(String(originalID.prefix(12))))

        // The key in use cannot be removed; another one can.
        let self_ = try fixture.run(["key", "remove", originalID])
        #expect(self_.status != 0 && self_.endedCleanly, "\(self_)")
        let removed = try fixture.run(["key", "remove", String(originalID.prefix(10))], passwordFile: second)
        #expect(removed.status == 0, "\(removed)")
        #expect(try fixture.run(["snapshots"]).status == 12, "the removed passphrase still opens the repository")

        let changed = try fixture.run(["key", "passwd", "--new-password-file", third], passwordFile: second)
        #expect(changed.status == 0, "\(changed)")
        #expect(try fixture.run(["snapshots"], passwordFile: second).status == 12, "the old passphrase still works after passwd")
        #expect(try fixture.run(["snapshots"], passwordFile: third).status == 0)
        #expect(try fixture.files(in: "keys").count == 1)

        let noNew = try fixture.run(["key", "add"], passwordFile: third)
        #expect(noNew.status != 0 && noNew.endedCleanly && noNew.stderr.contains("--new-password-file"), "\(noNew)")
    }

    @Test func configCheckAndSystemdPrintWorkFromAConfigFile() throws {
        let fixture = try CLIRepository()
        let config = try fixture.directory.write("config.yml", """
        repository: \(fixture.repo)
        password_file: \(fixture.passwordFile)
        volumes:
          data:
            path: \(fixture.directory.path)
        """)
        let check = try fixture.runner.run(["config", "check", "--config", config])
        #expect(check.endedCleanly && check.status == 0, "\(check)")
        let broken = try fixture.directory.write("broken.yml", "repository: [unclosed\n")
        let bad = try fixture.runner.run(["config", "check", "--config", broken])
        #expect(bad.status == 1 && bad.endedCleanly && (bad.stdout + bad.stderr).contains("broken.yml:2"), "\(bad)")
        let units = try fixture.runner.run(["systemd", "print", "--config", config])
        #expect(units.status == 0 && units.stdout.contains("[Timer]") && units.stdout.contains("LoadCredential"), "\(units)")
        // Every command works from the config alone.
        #expect(try fixture.runner.run(["snapshots", "--config", config]).status == 0)
    }

    @Test func verifyLevelsAndStatusAnswerWithTheirExitCodes() throws {
        let fixture = try CLIRepository()
        try FileTree.writeRandom(fixture.directory.sub("src/data.bin"), count: 2 << 20, seed: 9)
        try fixture.backup(fixture.directory.sub("src"), name: "s")
        for level in [["verify"], ["verify", "--read-data"], ["verify", "--read-data-subset", "50%"], ["verify", "--read-data-subset", "2/3"]] {
            let result = try fixture.run(level)
            #expect(result.status == 0 && result.stdout.contains("no damage found"), "\(level): \(result)")
        }
        let report = try #require(try json(fixture.succeed(["verify", "--read-data", "--json"]).stdout) as? [String: Any])
        #expect(!report.isEmpty)
        for bad in [["verify", "--read-data-subset", "0%"], ["verify", "--read-data-subset", "4/3"], ["verify", "--read-data", "--read-data-subset", "1/2"]] {
            let result = try fixture.run(bad)
            #expect(result.status == 64, "\(bad): \(result)")
        }
        let status = try fixture.run(["status", "--status-file", fixture.directory.sub("no-status.json")])
        #expect(status.status == 1 && status.endedCleanly && status.stderr.contains("has not completed"), "\(status)")
    }

    @Test func anAutoSliceCountsTowardsTheCoverageInTheStatusFile() throws {
        let fixture = try CLIRepository()
        try FileTree.writeRandom(fixture.directory.sub("src/data.bin"), count: 2 << 20, seed: 19)
        try fixture.backup(fixture.directory.sub("src"), name: "s")
        let statusFile = fixture.directory.sub("state/status.json")
        let config = try fixture.directory.write("config.yml", "repository: \(fixture.repo)\npassword_file: \(fixture.passwordFile)\nstatus_file: \(statusFile)\n")
        for _ in 0..<2 {
            let result = try fixture.runner.run(["verify", "--read-data-subset", "auto", "--config", config])
            #expect(result.status == 0 && result.stderr.contains("coverage this cycle 1/7"), "\(result)")
        }
        let status = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: statusFile))) as? [String: Any])
        #expect((status["verify_slices"] as? [Int])?.count == 1, "the same day reads the same slice: \(status)")
        #expect(abs((status["verify_coverage"] as? Double ?? 0) - 1.0 / 7) < 1e-9)
    }
}

