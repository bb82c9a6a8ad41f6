import Synchronization

/// The locks one `Repository` instance holds. Writers that must not outlive
/// their lock (index segments, snapshot documents, prune's deletions) prove
/// every held lock through this registry, so no caller can forget to pass
/// its lock down. Weak: a lock dropped without `release()` still removes its
/// file in `deinit`.
final class HeldLocks: Sendable {
    private struct Entry {
        weak var lock: RepositoryLock?
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    func add(_ lock: RepositoryLock) {
        entries.withLock { $0[ObjectIdentifier(lock)] = Entry(lock: lock) }
    }

    func remove(_ lock: RepositoryLock) {
        _ = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(lock)) }
    }

    /// The locks still held, in no particular order.
    var all: [RepositoryLock] {
        entries.withLock { entries in
            entries = entries.filter { $0.value.lock != nil }
            return entries.values.compactMap(\.lock)
        }
    }
}
