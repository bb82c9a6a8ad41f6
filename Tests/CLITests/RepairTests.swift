import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// `repair index` rebuilds a damaged or lost index from the packs, after which
/// every snapshot restores byte-identical, verify is clean and prune runs;
/// `repair snapshots` writes snapshots without the data of a lost pack.
@Suite("CLI repair")
struct RepairTests {
    /// Three snapshots of two folders sharing a file; after each backup the
    /// folder is copied (`cp -a`) as what its snapshot must restore.
    struct Fixture {
        let cli: CLIRepository
        /// Snapshot id → the folder it must restore to.
        var expected: [(snapshot: String, folder: String)] = []
        /// The index segments the first backup wrote (they list the shared data).
        var firstSegments: [String] = []
    }

    static func threeSnapshots() throws -> Fixture {
        var fixture = Fixture(cli: try CLIRepository())
        let dir = fixture.cli.directory
        let a = dir.sub("a"), b = dir.sub("b")
        try FileTree.writeRandom(a + "/shared.bin", count: 2_500_000, seed: 1)
        try FileTree.writeRandom(a + "/sub/one.bin", count: 1_000_000, seed: 2)
        try dir.write("a/notes.txt", "first\n")
        func backup(_ folder: String, _ name: String) throws {
            let id = try #require(try fixture.cli.backup(folder, name: name).snapshot)
            let copy = dir.sub("expected-\(fixture.expected.count)")
            try Self.shell(["cp", "-a", folder, copy])
            fixture.expected.append((id, copy))
        }
        try backup(a, "a")
        fixture.firstSegments = try fixture.cli.files(in: "index")
        try FileTree.writeRandom(a + "/two.bin", count: 1_500_000, seed: 3)
        try dir.write("a/notes.txt", "second\n")
        try backup(a, "a")
        try FileManager.default.createDirectory(atPath: b, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: a + "/shared.bin", toPath: b + "/shared-copy.bin")
        try FileTree.writeRandom(b + "/own.bin", count: 800_000, seed: 4)
        try backup(b, "b")
        return fixture
    }

    static func shell(_ arguments: [String]) throws {
        let process = try Process.run(URL(fileURLWithPath: "/usr/bin/env"), arguments: arguments)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(arguments) failed")
    }

    /// The regular files below `root` (relative paths), sorted.
    static func files(_ root: String) throws -> [String] {
        try FileTree.capture(root, contents: false).filter { $0.type == "f" }.map { String(decoding: $0.path, as: UTF8.self) }
    }

    /// Restores `snapshot` and expects every file of `expected`, byte for byte, and nothing else.
    static func expectRestoresIdentically(_ fixture: CLIRepository, _ snapshot: String, _ expected: String) throws {
        let target = fixture.directory.sub("restore-\(snapshot.prefix(8))-\(UInt32.random(in: 0...UInt32.max))")
        let result = try fixture.run(["restore", snapshot, "--target", target])
        #expect(result.status == 0, "restore \(snapshot.prefix(8)): \(result)")
        let files = try Self.files(expected)
        #expect(try Self.files(target) == files, "snapshot \(snapshot.prefix(8)) restored other files")
        for file in files {
            #expect(FileManager.default.contentsEqual(atPath: target + "/" + file, andPath: expected + "/" + file),
                    "snapshot \(snapshot.prefix(8)): \(file) differs")
        }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    enum IndexDamage: String, CaseIterable, Sendable { case flippedBit, deletedFile }

    @Test(arguments: IndexDamage.allCases)
    func repairIndexRebuildsADamagedIndexFromThePacks(damage: IndexDamage) throws {
        let fixture = try Self.threeSnapshots()
        let cli = fixture.cli
        let victim = try #require(fixture.firstSegments.first)
        #expect(fixture.firstSegments.count == 1)
        switch damage {
        case .flippedBit: try FileTree.flipByte(cli.repo + "/" + victim, at: 100)
        case .deletedFile: try FileManager.default.removeItem(atPath: cli.repo + "/" + victim)
        }
        // The damage matters: the first snapshot cannot be restored and prune refuses.
        let broken = try cli.run(["restore", fixture.expected[0].snapshot, "--target", cli.directory.sub("broken")])
        #expect(broken.status != 0, "\(broken)")
        #expect(try cli.run(["prune"]).status == 13)

        let packs = try cli.files(in: "data").count
        let segmentsBefore = try cli.files(in: "index").count
        let repair = try cli.run(["repair", "index", "--json"])
        #expect(repair.status == 0, "\(repair)")
        let report = try Self.json(repair.stdout)
        #expect(report["packsRead"] as? Int == packs && report["packsStored"] as? Int == packs, "\(report)")
        #expect(report["segmentsRemoved"] as? Int == segmentsBefore, "\(report)")
        #expect((report["segmentsWritten"] as? Int ?? 0) >= 1 && (report["blobsRecovered"] as? Int ?? 0) > 0, "\(report)")
        #expect((report["damagedSegmentsRemoved"] as? [String])?.count == (damage == .flippedBit ? 1 : 0), "\(report)")
        #expect((report["unreadablePacks"] as? [Any])?.isEmpty == true && (report["missingPacks"] as? [Any])?.isEmpty == true)
        #expect(!FileManager.default.fileExists(atPath: cli.repo + "/" + victim))

        for (snapshot, folder) in fixture.expected {
            try Self.expectRestoresIdentically(cli, snapshot, folder)
        }
        let verify = try cli.run(["verify", "--read-data"])
        #expect(verify.status == 0, "\(verify)")
        let prune = try cli.run(["prune"])
        #expect(prune.status == 0, "\(prune)")
        // Idempotent: a second repair finds every pack again and nothing damaged.
        let again = try Self.json(try cli.succeed(["repair", "index", "--json"]).stdout)
        #expect(again["blobsRecovered"] as? Int == 0 && (again["damagedSegmentsRemoved"] as? [Any])?.isEmpty == true, "\(again)")
        try Self.expectRestoresIdentically(cli, fixture.expected[0].snapshot, fixture.expected[0].folder)
    }

    @Test func aPackWithAnUnreadableHeaderIsNamedAndKeepsItsBlobsFromTheOldIndex() throws {
        let fixture = try Self.threeSnapshots()
        let cli = fixture.cli
        let pack = try #require(try cli.files(in: "data").first)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: cli.repo + "/" + pack)[.size] as? Int)
        try FileTree.flipByte(cli.repo + "/" + pack, at: size - 20)  // inside the sealed header
        let repair = try cli.run(["repair", "index", "--json"])
        #expect(repair.status == 13, "\(repair)")
        let unreadable = try #require(try Self.json(repair.stdout)["unreadablePacks"] as? [[String: Any]])
        #expect(unreadable.count == 1 && unreadable.first?["path"] as? String == pack, "\(unreadable)")
        #expect(unreadable.first?["keptFromOldIndex"] as? Bool == true, "\(unreadable)")
        let text = try cli.run(["repair", "index"])
        #expect(text.status == 13 && text.stdout.contains("damaged pack \(pack)"), "\(text)")
    }

    /// Snapshot 1: keep.bin and small.txt. Snapshot 2 adds victim.bin, large enough
    /// to fill packs of data alone. Returns both ids and one such pack.
    static func twoSnapshotsAndAVictimPack(_ cli: CLIRepository) throws -> (first: String, second: String, pack: String) {
        let source = cli.directory.sub("src")
        try FileTree.writeRandom(source + "/keep.bin", count: 2_000_000, seed: 11)
        try cli.directory.write("src/dir/small.txt", "small\n")
        let first = try #require(try cli.backup(source, name: "t").snapshot)
        let before = Set(try cli.files(in: "data"))
        try FileTree.writeRandom(source + "/dir/victim.bin", count: 20_000_000, seed: 12)
        let second = try #require(try cli.backup(source, name: "t").snapshot)
        let repository = try cli.open()
        var chosen: String?
        for path in try cli.files(in: "data") where !before.contains(path) {
            let name = String(path.split(separator: "/").last!)
            let id = try #require(ObjectID(hex: name))
            let size = try #require(try FileManager.default.attributesOfItem(atPath: cli.repo + "/" + path)[.size] as? Int)
            let header = try Pack.readHeader(backend: repository.backend, id: id, size: size, key: repository.masterKey)
            if header.entries.allSatisfy({ $0.type == .data }) { chosen = path }
        }
        return (first, second, try #require(chosen, "no pack holds data alone"))
    }

    @Test func repairSnapshotsDryRunChangesNothingAndTheRepairRestoresEverythingElse() throws {
        let cli = try CLIRepository()
        let (first, second, pack) = try Self.twoSnapshotsAndAVictimPack(cli)
        let expected = cli.directory.sub("expected")
        try Self.shell(["cp", "-a", cli.directory.sub("src"), expected])
        try FileManager.default.removeItem(atPath: cli.repo + "/" + pack)

        let before = try cli.listing()
        let dry = try cli.run(["repair", "snapshots", "--dry-run"])
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.stdout.contains("dir/victim.bin") && dry.stdout.contains("would write"), "\(dry)")
        #expect(try cli.listing() == before, "a dry run changed the repository")

        let repair = try cli.run(["repair", "snapshots", "--json"])
        #expect(repair.status == 0, "\(repair)")
        let report = try Self.json(repair.stdout)
        let repaired = try #require(report["repaired"] as? [[String: Any]])
        #expect(repaired.count == 1 && repaired.first?["original"] as? String == second, "\(report)")
        #expect(report["snapshotsIntact"] as? Int == 1, "the first snapshot, which does not use the pack, was touched: \(report)")
        let newID = try #require(repaired.first?["repaired"] as? String)
        let items = try #require(repaired.first?["items"] as? [[String: Any]])
        #expect(items.count == 1 && items.first?["path"] as? String == "dir/victim.bin", "\(items)")

        let listed = try #require(try JSONSerialization.jsonObject(with: Data(try cli.succeed(["snapshots", "--json"]).stdout.utf8)) as? [[String: Any]])
        #expect(Set(listed.compactMap { $0["id"] as? String }) == [first, second, newID], "the original was not kept: \(listed)")
        let tags = listed.first { $0["id"] as? String == newID }?["tags"] as? [String]
        #expect(tags == ["repaired"], "\(listed)")

        // Everything outside the lost pack restores byte-identical; victim.bin keeps its readable chunks.
        let target = cli.directory.sub("restored")
        let restore = try cli.run(["restore", newID, "--target", target])
        #expect(restore.status == 0, "\(restore)")
        for file in ["keep.bin", "dir/small.txt"] {
            #expect(FileManager.default.contentsEqual(atPath: target + "/" + file, andPath: expected + "/" + file), "\(file) differs")
        }
        let victimSize = try #require(try FileManager.default.attributesOfItem(atPath: target + "/dir/victim.bin")[.size] as? Int)
        #expect(victimSize < 20_000_000 && victimSize > 0, "victim.bin is \(victimSize) bytes")
        #expect(try cli.run(["restore", "t:latest", "--target", cli.directory.sub("latest")]).status == 0, "latest is not the repaired snapshot")
        // A second run finds the original already repaired and writes nothing.
        let again = try Self.json(try cli.succeed(["repair", "snapshots", "--json"]).stdout)
        #expect((again["repaired"] as? [Any])?.isEmpty == true && (again["alreadyRepaired"] as? [String]) == [second], "\(again)")
        // --forget later removes the original it already replaced.
        try cli.succeed(["repair", "snapshots", "--forget"])
        let remaining = try #require(try JSONSerialization.jsonObject(with: Data(try cli.succeed(["snapshots", "--json"]).stdout.utf8)) as? [[String: Any]])
        #expect(Set(remaining.compactMap { $0["id"] as? String }) == [first, newID], "\(remaining)")
    }

    @Test func repairIndexThenRepairSnapshotsWithForgetLeavesACleanRepository() throws {
        let cli = try CLIRepository()
        let (first, second, pack) = try Self.twoSnapshotsAndAVictimPack(cli)
        try FileManager.default.removeItem(atPath: cli.repo + "/" + pack)
        let index = try cli.run(["repair", "index", "--json"])
        #expect(index.status == 13, "a lost pack is damage: \(index)")
        let missing = try Self.json(index.stdout)["missingPacks"] as? [String]
        #expect(missing == [String(pack.split(separator: "/").last!)], "\(index)")

        let repair = try cli.run(["repair", "snapshots", "--forget", "--json"])
        #expect(repair.status == 0, "\(repair)")
        let newID = try #require((try Self.json(repair.stdout)["repaired"] as? [[String: Any]])?.first?["repaired"] as? String)
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(try cli.succeed(["snapshots", "--json"]).stdout.utf8)) as? [[String: Any]])
        #expect(Set(listed.compactMap { $0["id"] as? String }) == [first, newID], "\(listed)")
        let verify = try cli.run(["verify", "--read-data"])
        #expect(verify.status == 0, "\(verify)")
        #expect(try cli.run(["prune"]).status == 0)
        #expect(try cli.run(["restore", newID, "--target", cli.directory.sub("after-prune")]).status == 0)
    }

    @Test func theHelpSaysWhatRepairKeepsAndDrops() throws {
        let root = try CLIRunner().run(["--help"])
        #expect(root.stdout.contains("repair"), "\(root)")
        let help = try CLIRunner().run(["repair", "snapshots", "--help"])
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for phrase in ["--dry-run", "--forget", "--read-data", "KEPT WITH ITS READABLE PARTS", "becomes an empty folder",
                       "Database snapshots are never rewritten", "13 integrity damage found"] {
            #expect(text.contains(phrase), "repair snapshots --help lacks \(phrase)")
        }
        let index = try CLIRunner().run(["repair", "index", "--help"])
        #expect(index.status == 0 && index.stdout.contains("exclusive lock"), "\(index)")
    }
}
