import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite("SQLite databases inside a volume")
struct SQLiteSnapshotTests {
    typealias F = VolumeFixtures

    @Test func aDatabaseBeingWrittenDuringBackupRestoresValid() throws {
        let dir = TemporaryDirectory()
        try F.mkdir(Array(dir.sub("src").utf8))
        let dbPath = Array(dir.sub("src/app.db").utf8)
        let setup = try SQLiteConnection(path: dbPath, readOnly: false)
        _ = try setup.query("PRAGMA journal_mode=WAL")
        _ = try setup.query("CREATE TABLE t(id INTEGER PRIMARY KEY, payload BLOB)")
        _ = try setup.query("BEGIN")
        for _ in 0..<2000 { _ = try setup.query("INSERT INTO t(payload) VALUES (randomblob(1000))") }
        _ = try setup.query("COMMIT")

        // Another connection keeps writing while the backup runs.
        let stop = StopFlag()
        let writer = Thread {
            guard let db = try? SQLiteConnection(path: dbPath, readOnly: false) else { return }
            while !stop.isSet {
                _ = try? db.query("BEGIN IMMEDIATE")
                for _ in 0..<50 { _ = try? db.query("INSERT INTO t(payload) VALUES (randomblob(2000))") }
                _ = try? db.query("DELETE FROM t WHERE id % 7 = 0 AND id > (SELECT max(id) - 300 FROM t)")
                _ = try? db.query("COMMIT")
            }
            stop.done()
        }
        writer.start()
        defer { stop.set(); stop.waitDone() }
        Thread.sleep(forTimeInterval: 0.2)

        let store = MemoryBlobStore()
        let options = F.options(sqlite: ["*.db"])
        let result = try VolumeArchiver(store: store, options: options).archive(path: dir.sub("src"), parentTree: nil)
        #expect(result.warnings.isEmpty, "\(result.warnings)")
        let names = try SnapshotTree.list(store: store, tree: result.tree, path: nil).map(\.displayPath)
        #expect(names == ["app.db"])  // no -wal / -shm companions

        let restored = try VolumeRestorer(store: store, tree: result.tree, options: VolumeRestoreOptions(target: dir.sub("dst"))).run()
        #expect(restored.errors.isEmpty)
        let copy = try SQLiteConnection(path: Array(dir.sub("dst/app.db").utf8), readOnly: true)
        #expect(try copy.query("PRAGMA integrity_check") == ["ok"])
        let rows = try #require(Int(try copy.query("SELECT count(*) FROM t").first ?? ""))
        #expect(rows >= 2000)
    }
}

final class StopFlag: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    private var finished = false

    var isSet: Bool { condition.withLock { stopped } }
    func set() { condition.withLock { stopped = true } }
    func done() { condition.withLock { finished = true; condition.broadcast() } }
    func waitDone() {
        condition.withLock { while !finished { condition.wait() } }
    }
}
