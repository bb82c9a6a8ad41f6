import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Volume drills restore files into a temporary folder and compare them with
/// the snapshot's tree; a corrupted blob is reported, never a crash.
@Suite(.serialized)
struct VolumeDrillTests {
    /// A folder with a few files (one large enough for several chunks), backed up.
    func backedUpFolder() throws -> (repository: Repository, backend: LocalBackend, record: SnapshotRecord, dirs: [TemporaryDirectory]) {
        let (repository, backend, repoDir) = try makeTestRepositoryFolder()
        let source = TemporaryDirectory("drill-src")
        try source.write("small.txt", "hello drill\n")
        try source.write("nested/deeper/notes [1].md", String(repeating: "notes ", count: 500))
        try source.write("star*name", "glob characters in the name\n")
        var random = SeededRandom(seed: 7)
        try FileManager.default.createDirectory(atPath: source.sub("media"), withIntermediateDirectories: true)
        try Data(random.bytes(3 << 20)).write(to: URL(fileURLWithPath: source.sub("media/big.bin")))
        chmod(source.sub("small.txt"), 0o640)
        let outcome = try VolumeBackupJob.run(VolumeBackupRequest(name: "media", path: source.path), repository: repository)
        let id = try #require(outcome.snapshotID)
        return (repository, backend, SnapshotRecord(id: id, snapshot: outcome.snapshot), [repoDir, source])
    }

    @Test func volumeDrillPassesOnAFreshBackupAndRemovesItsFolder() throws {
        let (repository, _, record, dirs) = try backedUpFolder()
        let scratch = TemporaryDirectory("drill-tmp")
        _ = dirs

        let all = try VolumeDrill(repository: repository, options: VolumeDrillOptions(temporaryDirectory: scratch.path)).run(snapshot: record)
        #expect(all.passed, "\(all.mismatches)")
        #expect(all.filesInSnapshot == 4 && all.filesChecked == 4)
        #expect(all.bytesChecked > 3 << 20)

        let sampled = try VolumeDrill(repository: repository, options: VolumeDrillOptions(sample: 2, temporaryDirectory: scratch.path)).run(snapshot: record)
        let again = try VolumeDrill(repository: repository, options: VolumeDrillOptions(sample: 2, temporaryDirectory: scratch.path)).run(snapshot: record)
        #expect(sampled.passed && sampled.filesChecked == 2)
        #expect(again.filesChecked == 2 && again.bytesChecked == sampled.bytesChecked)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == [])
    }

    @Test func volumeDrillReportsTheFileWhoseBlobIsCorrupted() throws {
        let (repository, backend, record, dirs) = try backedUpFolder()
        _ = dirs
        let scratch = TemporaryDirectory("drill-tmp")
        let entry = try #require(try SnapshotTree.list(store: repository, tree: record.snapshot.root, path: "media/big.bin").first)
        let blob = try #require(entry.node.content?.last)
        let location = try #require(repository.currentIndex.location(.data, blob))
        let packPath = backend.root + "/data/" + location.pack.hex.prefix(2) + "/" + location.pack.hex
        var pack = try [UInt8](Data(contentsOf: URL(fileURLWithPath: packPath)))
        pack[location.offset + location.length / 2] ^= 0x40
        try Data(pack).write(to: URL(fileURLWithPath: packPath))

        let reopened = try Repository.open(backend: backend, passphrase: Array("test".utf8))
        let report = try VolumeDrill(repository: reopened, options: VolumeDrillOptions(temporaryDirectory: scratch.path)).run(snapshot: record)

        #expect(!report.passed)
        #expect(report.mismatches.map(\.path) == ["media/big.bin"], "\(report.mismatches)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == [])
    }

    @Test func aDatabaseSnapshotIsRefusedByTheVolumeDrill() throws {
        let repository = try TestRepository()
        let root = try repository.saveJSON(["not": "a tree"]).id
        let snapshot = Snapshot(time: Date(), host: "test", kind: .postgres, source: "umami", root: root)
        let id = try repository.saveSnapshot(snapshot)
        #expect(throws: DrillError.self) {
            try VolumeDrill(repository: repository).run(snapshot: SnapshotRecord(id: id, snapshot: snapshot))
        }
    }
}
