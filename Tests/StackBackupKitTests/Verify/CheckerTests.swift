import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// A small volume snapshot: docs/a.txt (one chunk) and b.bin (two chunks).
struct CheckerFixture {
    let backend = MemoryBackend()
    let repository: Repository
    let a: ObjectID, b1: ObjectID, b2: ObjectID
    let snapshot: ObjectID

    init() throws {
        repository = try TestRepository(backend: backend, packSize: 64 << 10)
        var random = SeededRandom(seed: 5)
        a = try repository.saveBlob(.data, bytes: random.bytes(50_000)).id
        b1 = try repository.saveBlob(.data, bytes: random.bytes(50_000)).id
        b2 = try repository.saveBlob(.data, bytes: random.bytes(50_000)).id
        var fileA = Node(name: Array("a.txt".utf8), type: .file)
        fileA.content = [a]
        let docs = try repository.saveTree(Tree(nodes: [fileA])).id
        var dir = Node(name: Array("docs".utf8), type: .directory)
        dir.subtree = docs
        var fileB = Node(name: Array("b.bin".utf8), type: .file)
        fileB.content = [b1, b2]
        let root = try repository.saveTree(Tree(nodes: [dir, fileB])).id
        snapshot = try repository.saveSnapshot(Snapshot(time: Date(), host: "nas", kind: .volume, source: "media", root: root))
    }

    func pack(of id: ObjectID) throws -> MasterIndex.Location {
        try #require(repository.currentIndex.location(.data, id))
    }

    func flipByte(inBlob id: ObjectID) throws -> Handle {
        let location = try pack(of: id)
        let handle = Handle(.pack, location.pack)
        backend.corrupt(handle) { $0[location.offset + 10] ^= 0x40 }
        return handle
    }
}

@Suite struct CheckerTests {
    @Test func aHealthyRepositoryIsClean() throws {
        let fixture = try CheckerFixture()
        let structure = try Checker().check(repository: fixture.repository, readData: .none)
        #expect(structure.isClean, "\(structure.summary)")
        #expect(structure.packsRead == 0 && structure.snapshotsChecked == 1 && structure.treesChecked == 2)
        let full = try Checker().check(repository: fixture.repository, readData: .all)
        #expect(full.isClean, "\(full.summary)")
        #expect(full.blobsRead == 5 && full.packsRead == full.packsChecked)
        #expect(try Checker.checkFileNames(backend: fixture.backend).isClean)
    }

    @Test func aFlippedByteInAPackIsFoundAndNamesThePackAndTheSnapshotFile() throws {
        let fixture = try CheckerFixture()
        let handle = try fixture.flipByte(inBlob: fixture.a)
        #expect(throws: IntegrityError.self) { _ = try fixture.repository.loadBlob(.data, id: fixture.a) }

        let report = try Checker().check(repository: fixture.repository, readData: .all)
        #expect(!report.isClean)
        #expect(report.damagedPacks.map(\.path).contains(handle.relativePath))
        #expect(report.damagedBlobs.map(\.id) == [fixture.a])
        #expect(report.affectedSnapshots.map(\.id) == [fixture.snapshot])
        #expect(report.affectedSnapshots.first?.items == ["docs/a.txt"])
        // The structure check alone does not read blob contents.
        #expect(try Checker().check(repository: fixture.repository, readData: .none).damagedBlobs.isEmpty)
        // The report encodes for --json.
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(json.contains("docs\\/a.txt") || json.contains("docs/a.txt"))
    }

    @Test func theFilesOnlyCheckFindsAFlippedByteWithoutThePassphrase() throws {
        let fixture = try CheckerFixture()
        let handle = try fixture.flipByte(inBlob: fixture.b2)
        let report = try Checker.checkFileNames(backend: fixture.backend)
        #expect(report.damagedPacks.map(\.path) == [handle.relativePath])
        #expect(report.filesChecked == (try fixture.backend.list(.pack).count) + 2)  // + index, snapshot
    }

    @Test func aTruncatedPackIsReportedWithTheAffectedFile() throws {
        let fixture = try CheckerFixture()
        let location = try fixture.pack(of: fixture.b2)
        fixture.backend.corrupt(Handle(.pack, location.pack)) { $0.removeSubrange((location.offset + 100)...) }
        #expect(throws: IntegrityError.self) { _ = try fixture.repository.loadBlob(.data, id: fixture.b2) }
        let report = try Checker().check(repository: fixture.repository)
        #expect(report.damagedPacks.contains { $0.path == Handle(.pack, location.pack).relativePath })
        // The trees were saved after b2 into the same pack, so the whole snapshot ("/") is affected.
        #expect(report.affectedSnapshots.first?.items == ["/"])
        #expect(report.damagedBlobs.map(\.id).contains(fixture.b2))
    }

    @Test func aMissingPackAndAMissingBlobAreNamed() throws {
        let fixture = try CheckerFixture()
        let location = try fixture.pack(of: fixture.a)
        try fixture.backend.remove(Handle(.pack, location.pack))
        var ghost = Node(name: Array("ghost".utf8), type: .file)
        ghost.content = [ObjectID(bytes: [UInt8](repeating: 9, count: 32))!]
        let root = try fixture.repository.saveTree(Tree(nodes: [ghost])).id
        let second = try fixture.repository.saveSnapshot(Snapshot(time: Date(), host: "nas", kind: .volume, source: "other", root: root))
        let report = try Checker().check(repository: fixture.repository)
        #expect(report.damagedPacks.first?.reason == "is missing")
        #expect(report.missingBlobs.count == 1)
        let affected = Dictionary(uniqueKeysWithValues: report.affectedSnapshots.map { ($0.id, $0.items) })
        #expect(affected[second] == ["ghost"])
        #expect(affected[fixture.snapshot]?.contains("docs/a.txt") == true)
    }

    @Test func garbageIndexAndSnapshotFilesAreReportedNotFatal() throws {
        let fixture = try CheckerFixture()
        let garbage = Array("not a document at all".utf8)
        try fixture.backend.save(Handle(.index, SHA256.hash(garbage)), garbage)
        try fixture.backend.save(Handle(.snapshot, SHA256.hash(garbage)), garbage)
        let reopened = try Repository.open(backend: fixture.backend, passphrase: Array("test".utf8))
        let report = try Checker().check(repository: reopened, readData: .all)
        #expect(report.damagedIndexSegments.count == 1)
        #expect(report.damagedSnapshots.count == 1)
        #expect(report.affectedSnapshots.isEmpty && report.damagedBlobs.isEmpty)
    }

    @Test func aDatabaseSnapshotNamesTheTableWhoseBlobIsDamaged() throws {
        let fixture = try CheckerFixture()
        let manifest = try fixture.repository.saveJSON(["tables": ["public.users"]]).id
        let id = try fixture.repository.saveSnapshot(Snapshot(time: Date(), host: "nas", kind: .postgres, source: "umami", root: manifest))
        _ = try fixture.flipByte(inBlob: fixture.b1)
        let b1 = fixture.b1
        let checker = Checker { manifestID, loader in
            _ = try loader.loadBlob(.manifest, id: manifestID)
            return [(item: "table public.users", blobs: [(BlobType.data, b1)]), (item: "pre-data", blobs: [])]
        }
        let report = try checker.check(repository: fixture.repository, readData: .all)
        let affected = try #require(report.affectedSnapshots.first { $0.id == id })
        #expect(affected.items == ["table public.users"])
        #expect(affected.kind == .postgres)
    }

    @Test func slicesCoverEveryPackExactlyOnce() throws {
        var random = SeededRandom(seed: 11)
        let ids = (0..<500).map { _ in ObjectID(bytes: random.bytes(32))! }
        for id in ids {
            #expect((0..<7).filter { ReadDataSelection.slice(index: $0, of: 7).includes(id) }.count == 1)
        }
        let tenth = ids.filter { ReadDataSelection.fraction(0.1).includes($0) }.count
        #expect(tenth > 20 && tenth < 90)
        #expect(ids.allSatisfy { ReadDataSelection.all.includes($0) && !ReadDataSelection.none.includes($0) })
    }
}
