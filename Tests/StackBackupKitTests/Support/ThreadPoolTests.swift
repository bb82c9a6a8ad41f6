import Foundation
@testable import StackBackupKit
import StackBackupTestSupport
import Synchronization
import Testing

@Suite struct ThreadPoolTests {
    struct Boom: Error, Equatable { let job: Int }

    @Test func runsEveryJobOnNamedThreads() throws {
        let pool = ThreadPool<Int>(name: "test-pool", threads: 3)
        let seen = Mutex((jobs: Set<Int>(), names: Set<String>()))
        for job in 0..<100 { pool.submit(job) }
        pool.start { job in
            let name = Self.threadName()
            seen.withLock { _ = $0.jobs.insert(job); _ = $0.names.insert(name) }
        }
        try pool.join()
        let (jobs, names) = seen.withLock { ($0.jobs, $0.names) }
        #expect(jobs == Set(0..<100))
        #expect(!names.isEmpty && names.isSubset(of: ["test-pool-0", "test-pool-1", "test-pool-2"]), "\(names)")
        #expect(pool.runningThreads == 0)
    }

    /// The kernel's name of this thread (what `ps -L` and a debugger show).
    static func threadName() -> String {
        let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
        return comm.trimmingCharacters(in: .newlines)
    }

    @Test func theFirstErrorWinsAndStopsTheRest() throws {
        let pool = ThreadPool<Int>(name: "test-fail", threads: 2)
        let ran = Mutex(0)
        for job in 0..<1000 { pool.submit(job) }
        pool.start { index, next in
            while let job = next() {
                ran.withLock { $0 += 1 }
                if index == 0 { throw Boom(job: -1) }
                // The other worker fails too, but only after the first error is recorded.
                if Poll.until(timeout: 10, { pool.error != nil }) { throw Boom(job: job) }
            }
        }
        #expect(throws: Boom(job: -1)) { try pool.join() }
        #expect(pool.isStopped)
        #expect(ran.withLock { $0 } <= 2, "queued jobs were dropped")
        #expect(pool.runningThreads == 0)
    }

    @Test func submitBlocksWhileTheQueueIsFull() throws {
        let pool = ThreadPool<Int>(name: "test-bounded", threads: 1, capacity: 2)
        let gate = DispatchSemaphore(value: 0)
        let submitted = Mutex(0)
        pool.start { _ in gate.wait() }
        let producer = Thread {
            for job in 0..<5 {
                pool.submit(job)
                submitted.withLock { $0 += 1 }
            }
        }
        producer.start()
        // One job is taken by the blocked worker, two fill the queue: the fourth submit waits.
        #expect(Poll.until(timeout: 10) { submitted.withLock { $0 } == 3 })
        #expect(!Poll.until(timeout: 0.2) { submitted.withLock { $0 } > 3 })
        for _ in 0..<5 { gate.signal() }
        #expect(Poll.until(timeout: 10) { submitted.withLock { $0 } == 5 })
        try pool.join()
        #expect(pool.runningThreads == 0)
    }

    @Test func aStopSignalDrainsThePoolAndReleasesABlockedProducer() throws {
        let token = Cancellation()
        let pool = ThreadPool<Int>(name: "test-cancel", threads: 2, capacity: 1, cancellation: token)
        let started = Mutex(0), finished = Mutex(0)
        pool.start { _ in
            started.withLock { $0 += 1 }
            _ = Poll.until(timeout: 10) { token.isCancelled }
            finished.withLock { $0 += 1 }
        }
        let accepted = Mutex([Bool]())
        let producer = Thread {
            for job in 0..<50 {
                let ok = pool.submit(job)
                accepted.withLock { $0.append(ok) }
                if !ok { break }
            }
        }
        producer.start()
        #expect(Poll.until(timeout: 10) { started.withLock { $0 } == 2 })
        token.cancel(.signal(SIGTERM))
        #expect(Poll.until(timeout: 10) { accepted.withLock { $0.last == false } }, "the blocked submit returns once stopped")
        try pool.join()  // a cancellation is not an error: the caller reports it
        #expect(pool.isStopped)
        #expect(started.withLock { $0 } == 2, "no queued job runs after the stop")
        #expect(finished.withLock { $0 } == 2)
        #expect(pool.runningThreads == 0)
    }

    @Test func aPoolCancelledBeforeItStartsRunsNothing() throws {
        let token = Cancellation()
        token.cancel(.signal(SIGINT))
        let pool = ThreadPool<Int>(name: "test-precancelled", threads: 2, cancellation: token)
        let ran = Mutex(0)
        for job in 0..<10 { pool.submit(job) }
        pool.start { _ in ran.withLock { $0 += 1 } }
        try pool.join()
        #expect(ran.withLock { $0 } == 0)
        #expect(pool.runningThreads == 0)
    }
}
