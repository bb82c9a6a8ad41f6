import Foundation

/// The table parts of one dump, shared by the worker threads: a queue
/// (largest first), the finished parts, counters and the first error.
/// All state is behind one lock.
final class DumpWorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private let items: [DumpWorkItem]
    private var next = 0
    private var error: Error?
    private var parts: [[TablePart?]]
    private var partsLeft: [Int]
    private(set) var tablesDone = 0
    private(set) var rows: Int64 = 0
    private(set) var bytes: Int64 = 0
    private(set) var bytesAdded: Int64 = 0
    private(set) var blobsAdded = 0
    private let progress: ((DumpProgress) -> Void)?
    private let database: String
    private let names: [String]

    init(items: [DumpWorkItem], partCounts: [Int], names: [String], database: String, progress: ((DumpProgress) -> Void)?) {
        self.items = items.sorted { ($0.size, -$0.table, -$0.part) > ($1.size, -$1.table, -$1.part) }
        parts = partCounts.map { Array(repeating: nil, count: $0) }
        partsLeft = partCounts
        tablesDone = partCounts.filter { $0 == 0 }.count
        self.names = names
        self.database = database
        self.progress = progress
    }

    /// The next part to copy, or nil when all are taken or the dump failed.
    func take() -> DumpWorkItem? {
        lock.lock(); defer { lock.unlock() }
        guard error == nil, next < items.count else { return nil }
        next += 1
        return items[next - 1]
    }

    var failed: Bool {
        lock.lock(); defer { lock.unlock() }
        return error != nil
    }

    /// Records the first failure; later ones are consequences.
    func fail(_ failure: Error) {
        lock.lock(); defer { lock.unlock() }
        if error == nil { error = failure }
    }

    var firstError: Error? {
        lock.lock(); defer { lock.unlock() }
        return error
    }

    /// Streaming progress inside a part (bytes and rows since the last call).
    func advance(table: Int, bytes: Int64, rows: Int64) {
        lock.lock(); defer { lock.unlock() }
        self.bytes += bytes
        self.rows += rows
        report(table)
    }

    func finish(_ item: DumpWorkItem, part: TablePart, blobsAdded: Int, bytesAdded: Int64) {
        lock.lock(); defer { lock.unlock() }
        parts[item.table][item.part] = part
        self.blobsAdded += blobsAdded
        self.bytesAdded += bytesAdded
        partsLeft[item.table] -= 1
        if partsLeft[item.table] == 0 { tablesDone += 1 }
        report(item.table)
    }

    /// Called with the lock held, so progress calls never overlap.
    private func report(_ table: Int) {
        progress?(DumpProgress(database: database, table: names[table], tablesDone: tablesDone,
                               tablesTotal: parts.count, bytesDone: bytes, rowsDone: rows))
    }

    /// The parts of every table, once all workers have returned.
    func finishedParts() -> [[TablePart]] {
        lock.lock(); defer { lock.unlock() }
        return parts.map { $0.compactMap { $0 } }
    }
}

/// Raised inside a COPY callback to stop a worker after another one failed.
struct DumpCancelled: Error {}

/// Copies table parts on worker connections that share the coordinator's snapshot.
struct DumpWorkers {
    let config: PGConnectionConfig
    let snapshot: String
    let options: DumpOptions
    let store: BlobStore
    let queue: DumpWorkQueue
    let tableNames: [String]

    /// Starts `count` threads; the returned closure waits for all of them.
    func start(count: Int) -> () -> Void {
        let done = DispatchSemaphore(value: 0)
        for index in 0..<count {
            let thread = Thread { [self] in
                run()
                done.signal()
            }
            thread.name = "stackbackup-dump-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        return { for _ in 0..<count { done.wait() } }
    }

    private func run() {
        do {
            let connection = try PGConnection.connect(config)
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try connection.execute("SET TRANSACTION SNAPSHOT \(connection.escapeLiteral(snapshot))")
            try connection.execute("SET lock_timeout = \(DatabaseDumper.milliseconds(options.lockTimeout)); SET row_security = off; SET statement_timeout = 0")
            while let item = queue.take() {
                try copy(item, on: connection)
            }
            try connection.execute("COMMIT")
        } catch is DumpCancelled {
            return
        } catch {
            queue.fail(error)
        }
    }

    private func copy(_ item: DumpWorkItem, on connection: PGConnection) throws {
        let writer = DumpStreamWriter(store: store, parameters: options.chunker, gear: options.gear)
        var pendingBytes: Int64 = 0, pendingRows: Int64 = 0, reportedRows: Int64 = 0
        let rows: Int64
        do {
            rows = try connection.copyOut(item.sql) { row in
                try writer.append(row)
                pendingBytes += Int64(row.count)
                pendingRows += 1
                if pendingBytes >= 4 << 20 {
                    if queue.failed { throw DumpCancelled() }
                    queue.advance(table: item.table, bytes: pendingBytes, rows: pendingRows)
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
        queue.advance(table: item.table, bytes: pendingBytes, rows: max(0, rows - reportedRows))
        queue.finish(item, part: TablePart(rows: rows, bytes: writer.bytes, chunks: writer.chunks, digest: digest),
                     blobsAdded: writer.blobsAdded, bytesAdded: writer.bytesAdded)
    }
}
