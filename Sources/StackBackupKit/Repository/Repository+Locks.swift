import Foundation

extension Repository {
    /// Takes a shared or exclusive lock. Writes the lock first, then looks for
    /// conflicting (non-stale) locks; on a conflict removes its own, backs off
    /// and retries until `wait` seconds (default: `lockWait`) have passed, then
    /// throws `RepositoryError(.locked)` naming the holder. The lock is
    /// refreshed in the background; once it can no longer be proven ours it
    /// is lost and cancels `cancellation` (default: the repository's, so the
    /// job holding it stops) with `.lockLost` (see `RepositoryLock`).
    public func lock(exclusive: Bool, command: String, wait: TimeInterval? = nil,
                     cancellation: Cancellation? = nil) throws -> RepositoryLock {
        try lock(exclusive: exclusive, command: command, wait: wait ?? lockWait, refreshInterval: LockInfo.refreshInterval,
                 cancellation: cancellation ?? self.cancellation)
    }

    /// How long every lock taken without an explicit `wait` waits for a
    /// conflicting one (`--lock-wait`; the nightly run sets 60 s, so a backup
    /// waits for a prune started by hand instead of failing at once).
    public var lockWait: TimeInterval {
        get { mutex.withLock { defaultLockWait } }
        set { mutex.withLock { defaultLockWait = newValue } }
    }

    func lock(exclusive: Bool, command: String, wait: TimeInterval, refreshInterval: TimeInterval,
              clock: LockClock = .system, cancellation: Cancellation? = nil) throws -> RepositoryLock {
        let deadline = Date().addingTimeInterval(wait)
        var delay = 0.1
        while true {
            // A signal while waiting for another process's lock stops the wait.
            try cancellation?.check()
            var conflict = try findConflict(exclusive: exclusive, ignoring: nil)
            if conflict == nil {
                let now = clock.now()
                var info = LockInfo(host: HostInfo.hostname, pid: HostInfo.pid, user: HostInfo.username, command: command,
                                    exclusive: exclusive, created: now.wall, refreshed: now.wall)
                info.id = try writeLock(info).hex
                conflict = try findConflict(exclusive: exclusive, ignoring: info.id)
                if conflict == nil {
                    return RepositoryLock(repository: self, info: info, written: now, refreshInterval: refreshInterval,
                                          clock: clock, cancellation: cancellation)
                }
                try? backend.remove(Handle(.lock, info.id))
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0, let holder = conflict {
                let how = holder.exclusive ? "exclusively locked" : "locked"
                throw RepositoryError(.locked, "repository \(backend.location) is \(how) by \(holder.holder); wait for it to finish, or if that process is gone run `stackbackup unlock`")
            }
            // Randomised back-off so two racing lockers do not retry in step.
            Thread.sleep(forTimeInterval: min(remaining, delay * Double.random(in: 0.5...1.5)))
            delay = min(delay * 2, 5)
        }
    }

    /// Every readable lock, with `id` set; undecodable lock files are skipped.
    public func listLocks() throws -> [LockInfo] {
        try backend.list(.lock).compactMap { try? readLock($0.name) }.sorted { $0.created < $1.created }
    }

    /// Removes stale locks (`staleOnly`), or all locks; undecodable lock files
    /// count as stale. Returns how many were removed.
    public func removeLocks(staleOnly: Bool) throws -> Int {
        var removed = 0
        for (name, _) in try backend.list(.lock) {
            let info = try? readLock(name)
            if staleOnly, let info, !info.isStale() { continue }
            do {
                try backend.remove(Handle(.lock, name))
                removed += 1
            } catch let error as BackendError where error.code == .notFound {
                continue
            }
        }
        return removed
    }

    /// Proves every lock this instance holds (`RepositoryLock.prove`); called
    /// right before writing anything that must not outlive a lost lock. With
    /// no lock held (tests, tools that lock elsewhere) there is nothing to prove.
    func proveHeldLocks(_ consequence: @autoclosure () -> String) throws {
        for lock in heldLocks.all { try lock.prove(consequence()) }
    }

    func writeLock(_ info: LockInfo) throws -> ObjectID {
        try saveDocument(DocumentJSON.encode(info), kind: .lock)
    }

    func readLock(_ name: String) throws -> LockInfo {
        var info = try DocumentJSON.decode(LockInfo.self, from: loadDocument(kind: .lock, name: name))
        info.id = name
        return info
    }

    private func findConflict(exclusive: Bool, ignoring own: String?) throws -> LockInfo? {
        for (name, _) in try backend.list(.lock) where name != own {
            // A lock that vanished or does not decode cannot be honoured.
            guard let other = try? readLock(name), !other.isStale() else { continue }
            if exclusive || other.exclusive { return other }
        }
        return nil
    }
}
