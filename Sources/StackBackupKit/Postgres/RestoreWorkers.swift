import Foundation
import Synchronization

/// Something a restore stops on cancel: a connection's running statement, a pg_restore child.
protocol RestoreStoppable: AnyObject {
    func cancel()
}

extension PGConnection: RestoreStoppable {}
extension PGToolCancel: RestoreStoppable {}

/// The cancel flag of one restore and the connections and programs it would stop.
/// Thread-safe: `cancel()` may come from a signal source or another thread.
final class RestoreCancellation: Sendable {
    private struct State {
        var reason: String?
        var running: [ObjectIdentifier: RestoreStoppable] = [:]
    }

    private let state = Mutex(State())

    var isCancelled: Bool { cancelReason != nil }
    var cancelReason: String? { state.withLock { $0.reason } }

    /// Sets the flag (first reason wins) and stops every running statement and program.
    func cancel(reason: String) {
        let all: [RestoreStoppable] = state.withLock { state in
            if state.reason == nil { state.reason = reason }
            return Array(state.running.values)
        }
        for item in all { item.cancel() }
    }

    /// Stops `item` on cancel (at once when the restore is already cancelled).
    func register(_ item: RestoreStoppable) {
        let cancelNow: Bool = state.withLock { state in
            state.running[ObjectIdentifier(item)] = item
            return state.reason != nil
        }
        if cancelNow { item.cancel() }
    }

    func unregister(_ item: RestoreStoppable) {
        _ = state.withLock { $0.running.removeValue(forKey: ObjectIdentifier(item)) }
    }
}

/// Runs jobs on `workers` threads, each with its own connection; the first
/// failure cancels the others and is rethrown (an interruption is reported as such).
enum RestoreWorkers {
    static func run<Job: Sendable>(_ jobs: [Job], workers: Int, cancellation: RestoreCancellation,
                                   connect: () throws -> PGConnection,
                                   body: @escaping @Sendable (PGConnection, Job) throws -> Void) throws {
        guard !jobs.isEmpty else { return }
        let count = max(1, min(workers, jobs.count))
        // Connect up front on the calling thread: failures surface before work starts.
        var connections: [PGConnection] = []
        for _ in 0..<count { connections.append(try connect()) }
        let all = connections
        let pool = ThreadPool<Job>(name: "stackbackup-restore-db", threads: count)
        for job in jobs { pool.submit(job) }
        for connection in all { cancellation.register(connection) }
        pool.start { index, next in
            let connection = all[index]
            defer { cancellation.unregister(connection) }
            while !cancellation.isCancelled, let job = next() {
                do {
                    try body(connection, job)
                } catch {
                    if pool.error == nil {
                        // Stop the other workers' statements; the restore fails with this error.
                        pool.fail(error)
                        for other in all where other !== connection { other.cancel() }
                    }
                    throw error
                }
            }
        }
        try pool.join()
        if cancellation.isCancelled {
            throw PGError(.cancelled, message: cancellation.cancelReason ?? "cancelled", context: "restore")
        }
    }
}
