import Foundation

/// A file the walker hands to the reading workers.
struct ReadJob: Sendable {
    let index: Int
    /// The file's folder, held open until the job is done, and its name there.
    let directory: DirectoryHandle
    let name: [UInt8]
    let relativePath: [UInt8]
    let isSQLite: Bool
}

/// An unbounded FIFO of jobs shared by one producer and N worker threads.
/// Jobs are a few hundred bytes each, so an unbounded queue never deadlocks
/// and costs little; `finish()` releases the workers once it is drained.
final class WorkQueue<Job>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Popped slots are cleared: a job may hold a descriptor (`ReadJob.directory`).
    private var jobs: [Job?] = []
    private var head = 0
    private var finished = false
    private var cancelled = false

    func push(_ job: Job) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// No more jobs will come.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Drops the remaining jobs (after a fatal error).
    func cancel() {
        condition.lock()
        cancelled = true
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// The next job, or nil when finished and drained (or cancelled).
    func pop() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if cancelled { return nil }
            if head < jobs.count {
                let job = jobs[head]!
                jobs[head] = nil
                head += 1
                if head > 4096 && head * 2 > jobs.count {
                    jobs.removeFirst(head)
                    head = 0
                }
                return job
            }
            if finished { return nil }
            condition.wait()
        }
    }
}

/// `count` dedicated threads running `body(i)` (not the Swift concurrency
/// pool: the bodies block on file reads). `join()` waits for all of them.
final class WorkerThreads: @unchecked Sendable {
    private let group = DispatchGroup()

    init(_ count: Int, name: String, _ body: @escaping @Sendable (Int) -> Void) {
        for i in 0..<count {
            group.enter()
            let thread = Thread { [group] in
                body(i)
                group.leave()
            }
            thread.name = "\(name)-\(i)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    func join() { group.wait() }
}
