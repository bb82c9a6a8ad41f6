import Foundation
import Synchronization

/// Counts the folder descriptors one walk holds open and makes the walker wait
/// while `limit` are: queued file jobs keep their folder open until a worker
/// has read them, and a wide tree of small folders would otherwise open one
/// descriptor per folder ahead of the workers. Thread-safe.
final class DescriptorBudget: Sendable {
    let limit: Int
    private let count = Mutex(0)
    private let released = NSCondition()

    init(limit: Int) { self.limit = limit }

    var open: Int { count.withLock { $0 } }

    func opened() { count.withLock { $0 += 1 } }

    func closed() {
        count.withLock { $0 -= 1 }
        // Under the condition's lock, so a waiter between its check and wait() is not missed.
        released.lock()
        released.broadcast()
        released.unlock()
    }

    /// Waits until fewer than `limit` descriptors are open, or `stop()` is true
    /// (checked every 100 ms: the workers that would release them may have stopped).
    func waitForRoom(stop: () -> Bool) {
        released.lock()
        defer { released.unlock() }
        while count.withLock({ $0 }) >= limit && !stop() {
            _ = released.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
    }
}
