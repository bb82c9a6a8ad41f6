import Foundation
import Synchronization
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
            defer { stop.done() }
            guard let db = try? SQLiteConnection(path: dbPath, readOnly: false) else { return }
            while !stop.isSet {
                _ = try? db.query("BEGIN IMMEDIATE")
                for _ in 0..<50 { _ = try? db.query("INSERT INTO t(payload) VALUES (randomblob(2000))") }
                _ = try? db.query("DELETE FROM t WHERE id % 7 = 0 AND id > (SELECT max(id) - 300 FROM t)")
                if (try? db.query("COMMIT")) != nil { stop.committed() }
            }
        }
        writer.start()
        defer { stop.set(); stop.waitDone() }
        // The backup starts once the writer has committed, so it meets a live WAL.
        #expect(Poll.until(timeout: 30) { stop.commits > 0 || stop.isDone }, "the writer never committed")
        #expect(!stop.isDone, "the writer could not open the database")

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

/// The writer thread's state, shared with the test.
final class StopFlag: Sendable {
    private struct State { var stopped = false, finished = false, commits = 0 }
    private let state = Mutex(State())

    var isSet: Bool { state.withLock { $0.stopped } }
    var isDone: Bool { state.withLock { $0.finished } }
    var commits: Int { state.withLock { $0.commits } }
    func set() { state.withLock { $0.stopped = true } }
    func committed() { state.withLock { $0.commits += 1 } }
    func done() { state.withLock { $0.finished = true } }
    func waitDone() { Poll.until(timeout: 120) { isDone } }
}
