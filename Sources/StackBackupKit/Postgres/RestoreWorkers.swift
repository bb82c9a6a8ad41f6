import Foundation

/// Something a restore stops on cancel: a connection's running statement, a pg_restore child.
protocol RestoreStoppable: AnyObject {
    func cancel()
}

extension PGConnection: RestoreStoppable {}
extension PGToolCancel: RestoreStoppable {}

/// The cancel flag of one restore and the connections and programs it would stop.
/// Thread-safe: `cancel()` may come from a signal source or another thread.
final class RestoreCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var reason: String?
    private var running: [ObjectIdentifier: RestoreStoppable] = [:]

    var isCancelled: Bool { lock.withLock { cancelled } }
    var cancelReason: String? { lock.withLock { reason } }

    /// Sets the flag (first reason wins) and stops every running statement and program.
    func cancel(reason: String) {
        let all: [RestoreStoppable] = lock.withLock {
            if !cancelled { cancelled = true; self.reason = reason }
            return Array(running.values)
        }
        for item in all { item.cancel() }
    }

    /// Stops `item` on cancel (at once when the restore is already cancelled).
    func register(_ item: RestoreStoppable) {
        let cancelNow: Bool = lock.withLock {
            running[ObjectIdentifier(item)] = item
            return cancelled
        }
        if cancelNow { item.cancel() }
    }

    func unregister(_ item: RestoreStoppable) {
        _ = lock.withLock { running.removeValue(forKey: ObjectIdentifier(item)) }
    }
}

/// Runs jobs on `workers` threads, each with its own connection; the first
/// failure cancels the others and is rethrown (an interruption is reported as such).
enum RestoreWorkers {
    static func run<Job>(_ jobs: [Job], workers: Int, cancellation: RestoreCancellation,
                         connect: () throws -> PGConnection,
                         body: @escaping (PGConnection, Job) throws -> Void) throws {
        guard !jobs.isEmpty else { return }
        let count = max(1, min(workers, jobs.count))
        // Connect up front on the calling thread: failures surface before work starts.
        var connections: [PGConnection] = []
        for _ in 0..<count { connections.append(try connect()) }
        let all = connections
        let state = WorkerState(jobs: jobs)
        let group = DispatchGroup()
        for connection in connections {
            cancellation.register(connection)
            group.enter()
            let thread = Thread {
                defer { cancellation.unregister(connection); group.leave() }
                while !cancellation.isCancelled, let job = state.next() {
                    do {
                        try body(connection, job)
                    } catch {
                        if state.fail(error) {
                            // Stop the other workers' statements; the restore fails with this error.
                            for other in all where other !== connection { other.cancel() }
                        }
                        return
                    }
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        if let error = state.error { throw error }
        if cancellation.isCancelled {
            throw PGError(.cancelled, message: cancellation.cancelReason ?? "cancelled", context: "restore")
        }
    }
}

private final class WorkerState<Job>: @unchecked Sendable {
    private let lock = NSLock()
    private var jobs: [Job]
    private var index = 0
    private(set) var firstError: Error?

    init(jobs: [Job]) { self.jobs = jobs }

    var error: Error? { lock.withLock { firstError } }

    func next() -> Job? {
        lock.withLock {
            guard firstError == nil, index < jobs.count else { return nil }
            defer { index += 1 }
            return jobs[index]
        }
    }

    /// Records the first error; true when this was it.
    func fail(_ error: Error) -> Bool {
        lock.withLock {
            guard firstError == nil else { return false }
            firstError = error
            return true
        }
    }
}
