import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// `RepairJob` on a repository in memory: lost trees become empty folders, a
/// lost root cannot be repaired, database snapshots are reported per table and
/// never rewritten, and a run that must not proceed writes nothing.
@Suite struct RepairJobTests {
    /// A volume snapshot `root: {a.txt, sub/: {b.txt}}` whose `sub` tree is alone
    /// in its pack. Returns the repository, the snapshot and that pack.
    static func snapshotWithSubtreeInItsOwnPack(_ backend: MemoryBackend) throws -> (Repository, ObjectID, subtreePack: ObjectID) {
        let repository = try TestRepository(backend: backend)
        let a = try repository.saveBlob(.data, bytes: Array("alpha\n".utf8)).id
        let b = try repository.saveBlob(.data, bytes: Array("beta\n".utf8)).id
        try repository.flush()
        var fileB = Node(name: Array("b.txt".utf8), type: .file, mode: 0o644, size: 5)
        fileB.content = [b]
        let sub = try repository.saveTree(Tree(nodes: [fileB])).id
        try repository.flush()
        var fileA = Node(name: Array("a.txt".utf8), type: .file, mode: 0o644, size: 6)
        fileA.content = [a]
        var folder = Node(name: Array("sub".utf8), type: .directory, mode: 0o755)
        folder.subtree = sub
        let root = try repository.saveTree(Tree(nodes: [fileA, folder])).id
        let snapshot = try repository.saveSnapshot(Snapshot(time: Date(timeIntervalSince1970: 1_800_000_000), host: "nas",
                                                            kind: .volume, source: "media", tags: ["nightly"], root: root))
        let pack = try #require(repository.currentIndex.location(.tree, sub)?.pack)
        #expect(repository.currentIndex.blobsByPack()[pack]?.count == 1)
        return (repository, snapshot, pack)
    }

    @Test func aFolderWhoseTreeIsLostBecomesAnEmptyFolderAndTheRestIsKept() throws {
        let backend = MemoryBackend()
        let (repository, original, pack) = try Self.snapshotWithSubtreeInItsOwnPack(backend)
        try backend.remove(Handle(.pack, pack))

        let report = try RepairJob.snapshots(repository: repository, options: SnapshotRepairOptions(), cancellation: .never)
        let repaired = try #require(report.repaired.first)
        #expect(repaired.original == original && report.repaired.count == 1)
        #expect(repaired.items.map(\.path) == ["sub/"], "\(repaired.items)")
        let id = try #require(repaired.repaired)
        let reopened = try Repository.open(backend: backend, passphrase: Array("test".utf8))
        let snapshot = try reopened.loadSnapshot(id)
        #expect(snapshot.repairedFrom == original && snapshot.tags == ["nightly", "repaired"] && snapshot.source == "media")
        #expect(snapshot.time > (try reopened.loadSnapshot(original).time))
        let root = try reopened.loadTree(snapshot.root)
        #expect(root.nodes.map(\.displayName) == ["a.txt", "sub"])
        #expect(try reopened.loadBlob(.data, id: try #require(root.nodes[0].content?.first)) == Array("alpha\n".utf8))
        #expect(try reopened.loadTree(try #require(root.nodes[1].subtree)).nodes.isEmpty)
        #expect(try reopened.listSnapshots().snapshots.count == 2, "the original was not kept")
    }

    @Test func aSnapshotWhoseRootIsLostIsReportedAndRemovedOnlyWithForget() throws {
        let backend = MemoryBackend()
        let (repository, original, _) = try Self.snapshotWithSubtreeInItsOwnPack(backend)
        let rootPack = try #require(repository.currentIndex.location(.tree, try repository.loadSnapshot(original).root)?.pack)
        try backend.remove(Handle(.pack, rootPack))
        let kept = try RepairJob.snapshots(repository: repository, options: SnapshotRepairOptions(), cancellation: .never)
        #expect(kept.repaired.isEmpty && kept.unrepaired.map(\.snapshot) == [original] && kept.unrepaired.first?.forgotten == false)
        #expect(try repository.listSnapshots().snapshots.count == 1)
        let forgotten = try RepairJob.snapshots(repository: repository, options: SnapshotRepairOptions(forget: true), cancellation: .never)
        #expect(forgotten.unrepaired.first?.forgotten == true)
        #expect(try repository.listSnapshots().snapshots.isEmpty)
    }

    @Test func aDatabaseSnapshotWithAMissingChunkIsReportedPerTableAndNotRewritten() throws {
        let repository = try TestRepository(backend: MemoryBackend())
        let present = try repository.saveBlob(.data, bytes: Array("1\n".utf8)).id
        let schema = try repository.saveBlob(.data, bytes: Array("PGDMP".utf8)).id
        let absent = SHA256.hash(Array("never saved".utf8))
        let properties = DatabaseProperties(encoding: "UTF8", collate: "C", ctype: "C", localeProvider: "c", iculocale: nil,
                                            owner: "postgres", comment: nil, connectionLimit: -1, acl: nil, settings: [], roleSettings: [:])
        var manifest = DatabaseManifest(database: "umami", serverVersion: 150_020, serverVersionString: "15.20",
                                        dumpedAt: Date(timeIntervalSince1970: 1_800_000_000), properties: properties)
        manifest.schema = SchemaArchive(pgDumpVersion: "15.20", bytes: 1, chunks: [schema])
        manifest.tables = [
            TableEntry(table: QualifiedName(schema: "public", name: "website_event"), columns: ["id"], format: "text",
                       orderedBy: ["id"], parts: [TablePart(rows: 2, bytes: 4, chunks: [present, absent], digest: "")]),
            TableEntry(table: QualifiedName(schema: "public", name: "session"), columns: ["id"], format: "text",
                       orderedBy: ["id"], parts: [TablePart(rows: 1, bytes: 2, chunks: [present], digest: "")]),
        ]
        let root = try repository.saveJSON(manifest).id
        let id = try repository.saveSnapshot(Snapshot(time: Date(), host: "nas", kind: .postgres, source: "umami", root: root))
        let before = try repository.backend.list(.snapshot).map(\.name)

        let report = try RepairJob.snapshots(repository: repository, options: SnapshotRepairOptions(forget: true), cancellation: .never)
        let item = try #require(report.unrepaired.first)
        #expect(item.snapshot == id && !item.forgotten && report.repaired.isEmpty)
        #expect(item.items == [.init(path: "table public.website_event", problem: "1 of 2 chunk(s) missing")], "\(item.items)")
        #expect(item.reason.contains("--table"), "\(item.reason)")
        #expect(try repository.backend.list(.snapshot).map(\.name) == before)
    }

    @Test func repairSnapshotsRefusesWhilePacksAreUnindexedAndWritesNothing() throws {
        let backend = MemoryBackend()
        let (repository, _, pack) = try Self.snapshotWithSubtreeInItsOwnPack(backend)
        try backend.remove(Handle(.pack, pack))
        // A lost index segment: its packs are stored but unindexed, so their blobs would look missing.
        for (name, _) in try backend.list(.index) { try backend.remove(Handle(.index, name)) }
        try repository.loadIndex()
        let before = try FileKind.allCases.flatMap { kind in try backend.list(kind).map { "\(kind) \($0.name)" } }.sorted()
        #expect {
            _ = try RepairJob.snapshots(repository: repository, options: SnapshotRepairOptions(), cancellation: .never)
        } throws: { "\($0)".contains("repair index") }
        try repository.flush()
        let after = try FileKind.allCases.flatMap { kind in try backend.list(kind).map { "\(kind) \($0.name)" } }.sorted()
        #expect(before == after)
    }

    @Test func aCancelledIndexRepairStopsBeforeChangingTheIndex() throws {
        let backend = MemoryBackend()
        _ = try Self.snapshotWithSubtreeInItsOwnPack(backend)
        let repository = try Repository.open(backend: backend, passphrase: Array("test".utf8))
        let segments = try backend.list(.index).map(\.name).sorted()
        let cancellation = Cancellation()
        cancellation.cancel(.signal(SIGTERM))
        #expect(throws: InterruptedError.self) {
            _ = try RepairJob.index(repository: repository, cancellation: cancellation)
        }
        #expect(try backend.list(.index).map(\.name).sorted() == segments)
        #expect(try backend.list(.lock).isEmpty, "the lock was left behind")
    }
}
