import Foundation
import Synchronization

/// What the dump's workers produced: the finished parts, the counters and the
/// progress reports, all behind one lock (so progress calls never overlap).
final class DumpResults: Sendable {
    private struct State {
        var parts: [[TablePart?]]
        var partsLeft: [Int]
        var tablesDone: Int
        var rows: Int64 = 0
        var bytes: Int64 = 0
        var bytesAdded: Int64 = 0
        var blobsAdded = 0
    }

    private let state: Mutex<State>
    private let progress: (@Sendable (DumpProgress) -> Void)?
    private let database: String
    private let names: [String]

    init(partCounts: [Int], names: [String], database: String, progress: (@Sendable (DumpProgress) -> Void)?) {
        state = Mutex(State(parts: partCounts.map { Array(repeating: nil, count: $0) }, partsLeft: partCounts,
                            tablesDone: partCounts.filter { $0 == 0 }.count))
        self.names = names
        self.database = database
        self.progress = progress
    }

    var bytes: Int64 { state.withLock { $0.bytes } }
    var bytesAdded: Int64 { state.withLock { $0.bytesAdded } }
    var blobsAdded: Int { state.withLock { $0.blobsAdded } }

    /// Streaming progress inside a part (bytes and rows since the last call).
    func advance(table: Int, bytes: Int64, rows: Int64) {
        state.withLock { state in
            state.bytes += bytes
            state.rows += rows
            report(table, state)
        }
    }

    func finish(_ item: DumpWorkItem, part: TablePart, blobsAdded: Int, bytesAdded: Int64) {
        state.withLock { state in
            state.parts[item.table][item.part] = part
            state.blobsAdded += blobsAdded
            state.bytesAdded += bytesAdded
            state.partsLeft[item.table] -= 1
            if state.partsLeft[item.table] == 0 { state.tablesDone += 1 }
            report(item.table, state)
        }
    }

    /// Called with the lock held, so progress calls never overlap.
    private func report(_ table: Int, _ state: State) {
        progress?(DumpProgress(database: database, table: names[table], tablesDone: state.tablesDone,
                               tablesTotal: state.parts.count, bytesDone: state.bytes, rowsDone: state.rows))
    }

    /// The parts of every table, once all workers have returned.
    func finishedParts() -> [[TablePart]] {
        state.withLock { $0.parts.map { $0.compactMap { $0 } } }
    }
}

/// Raised inside a COPY callback to stop a worker after another one failed.
struct DumpCancelled: Error {}

/// Copies table parts on worker connections that share the coordinator's snapshot.
struct DumpWorkers: Sendable {
    let config: PGConnectionConfig
    let snapshot: String
    let options: DumpOptions
    let store: BlobStore
    let results: DumpResults
    let tableNames: [String]

    /// Starts `count` threads on `items` (largest first); `join()` the pool for the first error.
    func start(count: Int, items: [DumpWorkItem]) -> ThreadPool<DumpWorkItem> {
        let pool = ThreadPool<DumpWorkItem>(name: "stackbackup-dump", threads: count)
        for item in items.sorted(by: { ($0.size, -$0.table, -$0.part) > ($1.size, -$1.table, -$1.part) }) {
            pool.submit(item)
        }
        pool.start { [self] _, next in try run(next, pool: pool) }
        return pool
    }

    private func run(_ next: () -> DumpWorkItem?, pool: ThreadPool<DumpWorkItem>) throws {
        do {
            let connection = try PGConnection.connect(config)
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try connection.execute("SET TRANSACTION SNAPSHOT \(connection.escapeLiteral(snapshot))")
            try connection.execute("SET lock_timeout = \(DatabaseDumper.milliseconds(options.lockTimeout)); SET row_security = off; SET statement_timeout = 0")
            while let item = next() {
                try copy(item, on: connection, pool: pool)
            }
            try connection.execute("COMMIT")
        } catch is DumpCancelled {
            return
        }
    }

    private func copy(_ item: DumpWorkItem, on connection: PGConnection, pool: ThreadPool<DumpWorkItem>) throws {
        let writer = DumpStreamWriter(store: store, parameters: options.chunker, gear: options.gear)
        var pendingBytes: Int64 = 0, pendingRows: Int64 = 0, reportedRows: Int64 = 0
        let rows: Int64
        do {
            rows = try connection.copyOut(item.sql) { row in
                try writer.append(row)
                pendingBytes += Int64(row.count)
                pendingRows += 1
                if pendingBytes >= 4 << 20 {
                    if pool.isStopped { throw DumpCancelled() }
                    results.advance(table: item.table, bytes: pendingBytes, rows: pendingRows)
                    reportedRows += pendingRows
                    pendingBytes = 0
                    pendingRows = 0
                }
            }
        } catch let error as PGError where error.sqlState == "55P03" {
            throw DumpError.lockTimeout(object: tableNames[item.table], seconds: options.lockTimeout)
        }
        let digest = try writer.finish()
        // The command tag counts rows (binary COPY also sends a trailer message).
        results.advance(table: item.table, bytes: pendingBytes, rows: max(0, rows - reportedRows))
        results.finish(item, part: TablePart(rows: rows, bytes: writer.bytes, chunks: writer.chunks, digest: digest),
                       blobsAdded: writer.blobsAdded, bytesAdded: writer.bytesAdded)
    }
}
