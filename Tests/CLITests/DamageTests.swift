import Foundation
import StackBackupTestSupport
import Testing

/// Damaged repositories: a flipped byte is found and named, restore saves what
/// it can, and garbage in any repository file gives an error, never a crash.
@Suite("CLI damage")
struct DamageTests {
    /// Two snapshots of source "t": the second adds victim.bin in packs of its own.
    /// Returns the pack holding victim.bin's data and the second snapshot's id.
    static func twoSnapshots(_ fixture: CLIRepository) throws -> (pack: String, first: String, second: String) {
        let source = fixture.directory.sub("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try FileTree.writeRandom(source + "/keep.bin", count: 2_000_000, seed: 1)
        try fixture.directory.write("src/small.txt", "small\n")
        let first = try #require(try fixture.backup(source, name: "t").snapshot)
        let packsBefore = Set(try fixture.files(in: "data"))
        try FileTree.writeRandom(source + "/victim.bin", count: 3_000_000, seed: 2)
        let second = try #require(try fixture.backup(source, name: "t").snapshot)
        let newPacks = try fixture.files(in: "data").filter { !packsBefore.contains($0) }
        let sizes = try newPacks.map { ($0, try FileManager.default.attributesOfItem(atPath: fixture.repo + "/" + $0)[.size] as? Int ?? 0) }
        let largest = try #require(sizes.max { $0.1 < $1.1 })
        #expect(largest.1 > 3_000_000)
        return (largest.0, first, second)
    }

    @Test func aFlippedByteInAPackIsNamedByVerifyAndRestoreSavesTheRest() throws {
        let fixture = try CLIRepository()
        let (pack, first, second) = try Self.twoSnapshots(fixture)
        try FileTree.flipByte(fixture.repo + "/" + pack, at: 1_000)

        let packName = String(pack.split(separator: "/").last!)
        let verify = try fixture.run(["verify", "--read-data"])
        #expect(verify.status == 13, "\(verify)")
        let report = verify.stdout + verify.stderr
        #expect(report.contains(packName), "verify does not name the pack: \(verify)")
        #expect(report.contains(String(second.prefix(8))), "verify does not name the snapshot: \(verify)")
        #expect(report.contains("victim.bin"), "verify does not name the file: \(verify)")
        #expect(!report.contains("keep.bin"), "verify blames an intact file: \(verify)")

        // Without the key, the file names alone already show the damage.
        let filesOnly = try CLIRunner().run(["verify", "--files-only", "--repo", fixture.repo])
        #expect(filesOnly.status == 13 && filesOnly.stdout.contains(packName), "\(filesOnly)")

        let target = fixture.directory.sub("restored")
        let restore = try fixture.run(["restore", second, "--target", target])
        #expect(restore.status == 3, "\(restore)")
        #expect(restore.stderr.contains("victim.bin"), "\(restore)")
        #expect(!FileManager.default.fileExists(atPath: target + "/victim.bin"), "a damaged file was left in place")
        #expect(FileManager.default.contentsEqual(atPath: target + "/keep.bin", andPath: fixture.directory.sub("src/keep.bin")))
        #expect(FileManager.default.contentsEqual(atPath: target + "/small.txt", andPath: fixture.directory.sub("src/small.txt")))

        // The older snapshot does not use the damaged pack and restores whole.
        let older = try fixture.run(["restore", first, "--target", fixture.directory.sub("older")])
        #expect(older.status == 0, "\(older)")
    }

    enum Damage: String, CaseIterable, Sendable { case garbage, truncated, empty }

    static func damage(_ path: String, _ damage: Damage) throws {
        let url = URL(fileURLWithPath: path)
        let bytes = try Data(contentsOf: url)
        try? FileManager.default.removeItem(at: url)  // repository files are read-only
        switch damage {
        case .garbage:
            var random = SeededRandom(seed: UInt64(bytes.count))
            try Data(random.bytes(max(bytes.count, 64))).write(to: url)
        case .truncated: try bytes.prefix(bytes.count / 2).write(to: url)
        case .empty: try Data().write(to: url)
        }
    }

    @Test(arguments: ["index", "snapshots", "keys", "config"], Damage.allCases)
    func aDamagedRepositoryFileGivesAnErrorNeverACrash(folder: String, damage: Damage) throws {
        let fixture = try CLIRepository()
        _ = try Self.twoSnapshots(fixture)
        let victim = folder == "config" ? "config" : try #require(try fixture.files(in: folder).first)
        try Self.damage(fixture.repo + "/" + victim, damage)

        var statuses: [String: Int32] = [:]
        for command in [["snapshots"], ["verify"], ["verify", "--read-data"], ["ls", "t:latest"],
                        ["restore", "t:latest", "--target", fixture.directory.sub("out-\(statuses.count)")],
                        ["diff", "t:latest", "t:latest"], ["key", "list"], ["unlock"]] {
            let result = try fixture.run(command)
            #expect(result.endedCleanly, "\(command) crashed on a \(damage) \(victim): \(result)")
            statuses[command.joined(separator: " ")] = result.status
        }
        // Structure verification must flag every damaged file but the key (checked on open).
        let verify = try #require(statuses["verify"])
        #expect(verify != 0, "verify passed a \(damage) \(victim)")
        if folder == "config" || folder == "keys" {
            #expect(statuses.values.allSatisfy { $0 != 0 }, "a command worked without a readable \(folder): \(statuses)")
        }
        if folder == "index" || folder == "snapshots" {
            #expect(verify == 13, "verify of a \(damage) \(victim): exit \(verify)")
        }
        let filesOnly = try CLIRunner().run(["verify", "--files-only", "--repo", fixture.repo])
        #expect(filesOnly.endedCleanly, "\(filesOnly)")
        if folder == "index" || folder == "snapshots" {
            #expect(filesOnly.status == 13, "verify --files-only missed a \(damage) \(victim): \(filesOnly)")
        }
    }

    @Test func aGarbageLockIsIgnoredAndRemovedByUnlock() throws {
        let fixture = try CLIRepository()
        try fixture.directory.write("src/a", "a")
        try FileManager.default.createDirectory(atPath: fixture.repo + "/locks", withIntermediateDirectories: true)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: fixture.repo + "/locks/" + String(repeating: "ab", count: 32)))
        #expect(try fixture.run(["backup", "path", fixture.directory.sub("src"), "--name", "s"]).status == 0)
        let unlock = try fixture.run(["unlock"])
        #expect(unlock.status == 0 && unlock.stderr.contains("removed 1 lock"), "\(unlock)")
        #expect(try fixture.files(in: "locks").isEmpty)
    }
}
