import Foundation
import Synchronization

/// Dedicated, named threads draining one FIFO of jobs: the Kit's only worker pool.
///
/// Not the Swift concurrency pool: workers block on file reads, libpq and the
/// backend. `start` runs `worker(index, next)` once on each thread, and takes jobs with
/// `next()` until it returns nil (so a worker may hold per-thread state, such as
/// a connection). The first error a worker throws (or `fail` records) stops the
/// pool: queued jobs are dropped, `next()` returns nil, and `join()` rethrows that
/// error alone. A cancelled `Cancellation` stops it the same way without an error,
/// so each caller reports the interruption in its own words. Thread-safe.
final class ThreadPool<Job: Sendable>: Sendable {
    typealias Worker = @Sendable (_ index: Int, _ next: () -> Job?) throws -> Void

    private struct State {
        /// Popped slots are cleared: a job may hold a descriptor.
        var jobs: [Job?] = []
        var head = 0
        var closed = false
        var stopped = false
        var error: Error?
        var running = 0
        /// Threads blocked in `next()` or `submit`, each woken by its own semaphore.
        var consumers: [DispatchSemaphore] = []
        var producers: [DispatchSemaphore] = []

        var queued: Int { jobs.count - head }

        /// Wakes every waiter; they re-check the state.
        mutating func wakeAll() -> [DispatchSemaphore] {
            defer { consumers.removeAll(); producers.removeAll() }
            return consumers + producers
        }
    }

    let name: String
    let threadCount: Int
    private let capacity: Int
    private let stackSize: Int
    private let cancellation: Cancellation?
    private let state = Mutex(State())
    private let done = DispatchGroup()
    private let registration: Mutex<Cancellation.Registration?> = Mutex(nil)

    /// A pool of `threads` threads named `name-0`, `name-1`, …, started by `start`;
    /// `capacity` bounds the jobs waiting (`submit` blocks when it is reached).
    init(name: String, threads: Int, capacity: Int = .max, stackSize: Int = 1 << 20,
         cancellation: Cancellation? = nil) {
        self.name = name
        threadCount = max(1, threads)
        self.capacity = max(1, capacity)
        self.stackSize = stackSize
        self.cancellation = cancellation
    }

    /// Starts the threads, each running `worker` once. Call once.
    func start(_ worker: @escaping Worker) {
        // Before the threads: a token already cancelled drops the queue at once.
        if let cancellation {
            let handle = cancellation.onCancel { [self] in cancel() }
            registration.withLock { $0 = handle }
        }
        state.withLock { $0.running = threadCount }
        for index in 0..<threadCount {
            done.enter()
            let threadName = "\(name)-\(index)"
            let thread = Thread { [self] in
                // Set from the thread itself: only then does Foundation name the kernel thread (ps -L, gdb).
                Thread.current.name = threadName
                do {
                    try worker(index, { self.next() })
                } catch {
                    fail(error)
                }
                state.withLock { $0.running -= 1 }
                done.leave()
            }
            thread.name = threadName
            thread.stackSize = stackSize
            thread.start()
        }
    }

    /// Starts the threads, each running `body` for one job after another.
    func start(body: @escaping @Sendable (Job) throws -> Void) {
        start { _, next in
            while let job = next() { try body(job) }
        }
    }

    /// Queues `job`, waiting while the queue is full. False (the job dropped) once the pool stopped.
    @discardableResult
    func submit(_ job: Job) -> Bool {
        while true {
            let wait = DispatchSemaphore(value: 0)
            let outcome: (accepted: Bool?, wake: DispatchSemaphore?) = state.withLock { state in
                if state.stopped || state.closed { return (false, nil) }
                if state.queued < capacity {
                    state.jobs.append(job)
                    return (true, state.consumers.popLast())
                }
                state.producers.append(wait)
                return (nil, nil)
            }
            outcome.wake?.signal()
            if let accepted = outcome.accepted { return accepted }
            wait.wait()
        }
    }

    /// The next job for a worker; nil once the pool stopped, or was closed and is drained.
    private func next() -> Job? {
        while true {
            let wait = DispatchSemaphore(value: 0)
            let outcome: (job: Job?, end: Bool, wake: DispatchSemaphore?) = state.withLock { state in
                if state.stopped { return (nil, true, nil) }
                if state.head < state.jobs.count {
                    let job = state.jobs[state.head]
                    state.jobs[state.head] = nil
                    state.head += 1
                    if state.head > 4096 && state.head * 2 > state.jobs.count {
                        state.jobs.removeFirst(state.head)
                        state.head = 0
                    }
                    return (job, false, state.producers.popLast())
                }
                if state.closed { return (nil, true, nil) }
                state.consumers.append(wait)
                return (nil, false, nil)
            }
            outcome.wake?.signal()
            if let job = outcome.job { return job }
            if outcome.end { return nil }
            wait.wait()
        }
    }

    /// True once a worker failed, `fail` or `cancel` was called, or the cancellation fired.
    var isStopped: Bool { state.withLock { $0.stopped } }

    /// The first error, if any.
    var error: Error? { state.withLock { $0.error } }

    /// Threads still running (tests: none after `join`).
    var runningThreads: Int { state.withLock { $0.running } }

    /// Stops the pool with `error` unless an earlier error stopped it already.
    func fail(_ error: Error) {
        stop(error)
    }

    /// Drops the queued jobs and lets the workers end after their current job.
    func cancel() {
        stop(nil)
    }

    private func stop(_ error: Error?) {
        let waiters: [DispatchSemaphore] = state.withLock { state in
            if let error, state.error == nil { state.error = error }
            state.stopped = true
            state.jobs.removeAll()
            state.head = 0
            return state.wakeAll()
        }
        for waiter in waiters { waiter.signal() }
    }

    /// No more jobs come; the workers end once the queue is drained.
    func close() {
        let waiters: [DispatchSemaphore] = state.withLock { state in
            state.closed = true
            return state.wakeAll()
        }
        for waiter in waiters { waiter.signal() }
    }

    /// Closes the queue, waits for every thread, and rethrows the first error.
    func join() throws {
        close()
        done.wait()  // returns at once when never started
        registration.withLock { $0?.remove(); $0 = nil }
        if let error { throw error }
    }
}
