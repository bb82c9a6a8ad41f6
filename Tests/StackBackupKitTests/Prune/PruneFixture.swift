import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// A small in-memory repository (64 KiB packs, incompressible 20 KB blobs)
/// with three volume snapshots and one database snapshot:
///
///     s1: a1…a6                   (its packs die when s1 and s2 are forgotten)
///     s2: a1…a3, g1, g2, x1       (g1, g2 live on in s3; x1 dies: its pack is repacked)
///     s3: g1, g2, h1…h4           (kept)
///     db: pre-data p1, table t1   (kept, a postgres snapshot with a manifest)
///
/// `forgetOld()` removes s1 and s2.
struct PruneFixture {
    let backend: MemoryBackend
    let repository: Repository
    var content: [String: [UInt8]] = [:]
    var ids: [String: ObjectID] = [:]
    var s1 = ObjectID.zero, s2 = ObjectID.zero, s3 = ObjectID.zero, db = ObjectID.zero

    static let passphrase = Array("test".utf8)

    init() throws {
        backend = MemoryBackend()
        repository = try TestRepository(backend: backend, packSize: 64 << 10)
        var random = SeededRandom(seed: 99)
        for name in ["a1", "a2", "a3", "a4", "a5", "a6", "g1", "g2", "x1", "h1", "h2", "h3", "h4", "p1", "t1"] {
            content[name] = random.bytes(20_000)
        }
        s1 = try volumeSnapshot(["a1", "a2", "a3", "a4", "a5", "a6"], source: "media")
        s2 = try volumeSnapshot(["a1", "a2", "a3", "g1", "g2", "x1"], source: "media")
        s3 = try volumeSnapshot(["g1", "g2", "h1", "h2", "h3", "h4"], source: "media")
        db = try databaseSnapshot()
    }

    private mutating func save(_ name: String) throws -> ObjectID {
        let id = try repository.saveBlob(.data, bytes: content[name]!).id
        ids[name] = id
        return id
    }

    /// One folder `dir` holding one file per name, each one blob.
    private mutating func volumeSnapshot(_ names: [String], source: String) throws -> ObjectID {
        var nodes: [Node] = []
        for name in names {
            var node = Node(name: Array(name.utf8), type: .file)
            node.content = [try save(name)]
            nodes.append(node)
        }
        var dir = Node(name: Array("dir".utf8), type: .directory)
        dir.subtree = try repository.saveTree(Tree(nodes: nodes)).id
        let root = try repository.saveTree(Tree(nodes: [dir])).id
        return try repository.saveSnapshot(Snapshot(time: Date(), host: "nas", kind: .volume, source: source, root: root))
    }

    private mutating func databaseSnapshot() throws -> ObjectID {
        let properties = DatabaseProperties(encoding: "UTF8", collate: "C", ctype: "C", localeProvider: "libc", iculocale: nil,
                                            owner: "umami", comment: nil, connectionLimit: -1, acl: nil, settings: [], roleSettings: [:])
        var manifest = DatabaseManifest(database: "umami", serverVersion: 170000, serverVersionString: "17.0",
                                        dumpedAt: Date(), properties: properties)
        manifest.preData = [try save("p1")]
        manifest.tables = [TableEntry(table: QualifiedName(schema: "public", name: "events"), columns: ["id"], format: "text",
                                      orderedBy: ["id"], parts: [TablePart(rows: 1, bytes: 20_000, chunks: [try save("t1")], digest: "")])]
        let root = try repository.saveJSON(manifest).id
        return try repository.saveSnapshot(Snapshot(time: Date(), host: "nas", kind: .postgres, source: "umami", root: root))
    }

    func forgetOld() throws {
        try repository.removeSnapshot(s1)
        try repository.removeSnapshot(s2)
    }

    /// The blob names each kept snapshot needs.
    static let keptNames = ["g1", "g2", "h1", "h2", "h3", "h4", "p1", "t1"]
    static let deadNames = ["a1", "a2", "a3", "a4", "a5", "a6", "x1"]

    /// Every kept blob loads with its exact bytes, and the whole repository
    /// passes a full data check.
    static func expectKeptSnapshotsIntact(_ backend: Backend, _ fixture: PruneFixture, _ comment: String = "",
                                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        let repository = try Repository.open(backend: backend, passphrase: passphrase)
        for name in keptNames {
            let bytes = try repository.loadBlob(.data, id: fixture.ids[name]!)
            #expect(bytes == fixture.content[name], "\(name) \(comment)", sourceLocation: sourceLocation)
        }
        let snapshots = try repository.listSnapshots()
        #expect(Set(snapshots.snapshots.map(\.id)).isSuperset(of: [fixture.s3, fixture.db]), "\(comment)", sourceLocation: sourceLocation)
        let report = try Checker().check(repository: repository, readData: .all)
        #expect(report.isClean, "\(comment): \(report.summary)", sourceLocation: sourceLocation)
    }

    /// Every file (kind/name → bytes), to show a run changed nothing.
    static func files(_ backend: MemoryBackend, ignoringLocks: Bool = true) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for kind in FileKind.allCases where !(ignoringLocks && kind == .lock) {
            for (name, _) in try backend.list(kind) { out[Handle(kind, name).relativePath] = try backend.load(Handle(kind, name)) }
        }
        return out
    }

    static func packBytes(_ backend: Backend) throws -> Int {
        try backend.list(.pack).reduce(0) { $0 + $1.size }
    }
}
