import Synchronization

/// The open folders of a restore: the target's descriptor and up to
/// `capacity` of the plan's folders, least recently used dropped first. A
/// folder not held is opened by name from its nearest held ancestor, one
/// component at a time with `O_NOFOLLOW`, so every write lands below the
/// target whatever was planted in it, at any depth. Thread-safe: the file
/// writers share it (two threads missing the same folder both open it, harmlessly).
final class RestoreDirectories: Sendable {
    static let capacity = 64

    let target: DirectoryHandle
    /// Per plan folder: its parent's index (or `RestorePlan.target`) and its name.
    private let folders: [(parent: Int, name: [UInt8])]

    private struct Cache {
        var handles: [Int: (handle: DirectoryHandle, used: UInt64)] = [:]
        var clock: UInt64 = 0
    }
    private let cache = Mutex(Cache())

    init(target: DirectoryHandle, folders: [(parent: Int, name: [UInt8])]) {
        self.target = target
        self.folders = folders
    }

    /// The folder at `index` in the plan, or the target for `RestorePlan.target`.
    func handle(_ index: Int) throws -> DirectoryHandle {
        if index == RestorePlan.target { return target }
        if let held = lookup(index) { return held }
        // Climb to the nearest held ancestor, then open down from it.
        var missing = [index]
        var base = target
        var parent = folders[index].parent
        while parent != RestorePlan.target {
            if let held = lookup(parent) {
                base = held
                break
            }
            missing.append(parent)
            parent = folders[parent].parent
        }
        for next in missing.reversed() {
            base = try base.openDirectory(folders[next].name)
            store(next, base)
        }
        return base
    }

    private func lookup(_ index: Int) -> DirectoryHandle? {
        cache.withLock { cache in
            guard let held = cache.handles[index] else { return nil }
            cache.clock += 1
            cache.handles[index] = (held.handle, cache.clock)
            return held.handle
        }
    }

    private func store(_ index: Int, _ handle: DirectoryHandle) {
        // The evicted handle is released outside the lock (its deinit closes the descriptor).
        let evicted: DirectoryHandle? = cache.withLock { cache in
            cache.clock += 1
            cache.handles[index] = (handle, cache.clock)
            guard cache.handles.count > RestoreDirectories.capacity,
                  let oldest = cache.handles.min(by: { $0.value.used < $1.value.used }) else { return nil }
            return cache.handles.removeValue(forKey: oldest.key)?.handle
        }
        _ = evicted
    }
}
