import Foundation

/// The cancel flag of one restore and the connections it would cancel.
/// Thread-safe: `cancel()` may come from a signal source or another thread.
final class RestoreCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var reason: String?
    private var connections: [ObjectIdentifier: PGConnection] = [:]
    private var tools: [ObjectIdentifier: PGToolCancel] = [:]

    var isCancelled: Bool { lock.withLock { cancelled } }
    var cancelReason: String? { lock.withLock { reason } }

    /// Sets the flag (first reason wins) and cancels every running statement.
    func cancel(reason: String) {
        let (running, programs): ([PGConnection], [PGToolCancel]) = lock.withLock {
            if !cancelled { cancelled = true; self.reason = reason }
            return (Array(connections.values), Array(tools.values))
        }
        for connection in running { connection.cancel() }
        for program in programs { program.cancel() }
    }

    /// A running pg_restore, killed on cancel.
    func register(_ tool: PGToolCancel) {
        let cancelNow: Bool = lock.withLock {
            tools[ObjectIdentifier(tool)] = tool
            return cancelled
        }
        if cancelNow { tool.cancel() }
    }

    func unregister(_ tool: PGToolCancel) {
        _ = lock.withLock { tools.removeValue(forKey: ObjectIdentifier(tool)) }
    }

    func register(_ connection: PGConnection) {
        let cancelNow: Bool = lock.withLock {
            connections[ObjectIdentifier(connection)] = connection
            return cancelled
        }
        if cancelNow { connection.cancel() }
    }

    func unregister(_ connection: PGConnection) {
        _ = lock.withLock { connections.removeValue(forKey: ObjectIdentifier(connection)) }
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
