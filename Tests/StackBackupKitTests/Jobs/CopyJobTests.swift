import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// `CopyJob` between local repositories: different master keys (ids rewritten)
/// and a target sharing the chunker (`init --copy-chunker-from`: ids equal).
@Suite("Copy between repositories")
struct CopyJobTests {
    /// A folder with a few files, backed up twice (the second time with a change).
    static func sourceWithTwoSnapshots(_ dir: TemporaryDirectory, repository: Repository) throws -> [ObjectID] {
        let folder = dir.sub("data")
        try FileTree.writeRandom(folder + "/big.bin", count: 3 << 20, seed: 7)
        try FileTree.writeRandom(folder + "/sub/small.bin", count: 40_000, seed: 8)
        var request = VolumeBackupRequest(name: "files", path: folder)
        request.time = Date(timeIntervalSince1970: 1_700_000_000)
        let first = try VolumeBackupJob.run(request, repository: repository)
        try FileTree.writeRandom(folder + "/sub/new.bin", count: 70_000, seed: 9)
        request.time = Date(timeIntervalSince1970: 1_700_086_400)
        let second = try VolumeBackupJob.run(request, repository: repository)
        return [try #require(first.snapshotID), try #require(second.snapshotID)]
    }

    static func restore(_ repository: Repository, _ id: ObjectID, into target: String) throws -> [FileTree.Entry] {
        let snapshot = try repository.loadSnapshot(id)
        _ = try VolumeRestorer(store: repository, tree: snapshot.root, options: VolumeRestoreOptions(target: target)).run()
        return try FileTree.capture(target)
    }

    @Test func copyWithADifferentPassphraseRewritesIdsAndRestoresTheSameData() throws {
        let dir = TemporaryDirectory("copy-rewrite")
        let source = try TestRepository(backend: LocalBackend(path: dir.sub("a")), passphrase: "one")
        let target = try TestRepository(backend: LocalBackend(path: dir.sub("b")), passphrase: "two")
        let ids = try Self.sourceWithTwoSnapshots(dir, repository: source)

        let outcome = try CopyJob.run(from: source, to: target)
        #expect(outcome.copied.count == 2)
        #expect(!outcome.sharedBlobIDs)
        let copies = try target.listSnapshots().snapshots
        #expect(copies.map(\.snapshot.copiedFrom) == ids)
        #expect(copies[1].snapshot.parent == copies[0].id)
        // Different id keys: the roots differ, the content does not.
        #expect(copies[1].snapshot.root != (try source.loadSnapshot(ids[1])).root)
        #expect(try Self.restore(target, copies[1].id, into: dir.sub("out-b")) == (try Self.restore(source, ids[1], into: dir.sub("out-a"))))
        #expect(try Checker().check(repository: target, readData: .all, progress: nil).isClean)

        let again = try CopyJob.run(from: source, to: target)
        #expect(again.copied.isEmpty)
        #expect(again.alreadyPresent.count == 2)
        #expect(again.blobsCopied == 0)
        #expect(again.bytesAdded == 0)
    }

    @Test func aNightlyCopyReadsOnlyWhatChanged() throws {
        let dir = TemporaryDirectory("copy-incremental")
        let source = try TestRepository(backend: LocalBackend(path: dir.sub("a")), passphrase: "one")
        let target = try TestRepository(backend: LocalBackend(path: dir.sub("b")), passphrase: "two")
        let ids = try Self.sourceWithTwoSnapshots(dir, repository: source)
        let first = try CopyJob.run(from: source, to: target, request: CopyRequest(snapshots: [ids[0].hex]))
        #expect(first.copied.count == 1)
        let second = try CopyJob.run(from: source, to: target)
        #expect(second.copied.count == 1)
        // Only the new file's chunk is moved: the rest is mapped from the first copy.
        #expect(second.blobsCopied == 1)
        #expect(second.bytesCopied == 70_000)
    }

    @Test func aTargetSharingTheChunkerGetsTheSameIdsAndUnchangedTrees() throws {
        let dir = TemporaryDirectory("copy-shared")
        let source = try TestRepository(backend: LocalBackend(path: dir.sub("a")), passphrase: "one")
        let target = try Repository.initialize(backend: LocalBackend(path: dir.sub("b")), passphrase: Array("two".utf8),
                                               kdf: .testing, sharingChunkerWith: source)
        #expect(target.config.chunkerSharedWith == source.config.id)
        #expect(target.config.chunker == source.config.chunker)
        #expect(target.sharesBlobIDs(with: source))
        let ids = try Self.sourceWithTwoSnapshots(dir, repository: source)

        let outcome = try CopyJob.run(from: source, to: target)
        #expect(outcome.sharedBlobIDs)
        let copies = try target.listSnapshots().snapshots
        for (copy, id) in zip(copies, ids) {
            #expect(copy.snapshot.root == (try source.loadSnapshot(id)).root)
        }
        // Same ids in the two indexes, different keys (the target re-encrypted every blob).
        let sourceBlobs = Set(source.currentIndex.blobsByPack().values.flatMap { $0.map(\.key) })
        let targetBlobs = Set(target.currentIndex.blobsByPack().values.flatMap { $0.map(\.key) })
        #expect(sourceBlobs == targetBlobs)
        #expect(try Checker().check(repository: target, readData: .all, progress: nil).isClean)
        // The target's own backup of the same folder deduplicates against the copied data.
        var request = VolumeBackupRequest(name: "files", path: dir.sub("data"))
        request.time = Date(timeIntervalSince1970: 1_700_200_000)
        let direct = try VolumeBackupJob.run(request, repository: target)
        #expect(direct.snapshot.stats.blobsAdded == 0)
    }

    @Test func copyRefusesTheSameRepositoryAndChoosesBySource() throws {
        let dir = TemporaryDirectory("copy-select")
        let source = try TestRepository(backend: LocalBackend(path: dir.sub("a")), passphrase: "one")
        let target = try TestRepository(backend: LocalBackend(path: dir.sub("b")), passphrase: "two")
        _ = try Self.sourceWithTwoSnapshots(dir, repository: source)
        #expect(throws: RepositoryError.self) { try CopyJob.run(from: source, to: source) }
        let none = try CopyJob.run(from: source, to: target, request: CopyRequest(sources: ["other"]))
        #expect(none.copied.isEmpty)
        let latest = try CopyJob.run(from: source, to: target, request: CopyRequest(snapshots: ["files:latest"]))
        #expect(latest.copied.count == 1)
        // The copy of a copy points at the same original: copying back adds nothing.
        let back = try CopyJob.run(from: target, to: source)
        #expect(back.copied.isEmpty)
        #expect(back.alreadyPresent.count == 1)
    }
}
