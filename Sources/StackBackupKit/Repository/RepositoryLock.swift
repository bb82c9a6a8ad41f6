import Foundation

/// A `locks/<id>` document (sealed JSON).
public struct LockInfo: Codable, Sendable, Equatable {
    /// The lock file's name (empty until written).
    public var id: String = ""
    public var host: String
    public var pid: Int32
    public var user: String
    public var command: String
    public var exclusive: Bool
    public var created: Date
    public var refreshed: Date

    /// A lock not refreshed for this long is stale.
    public static let staleAfter: TimeInterval = 30 * 60
    public static let refreshInterval: TimeInterval = 5 * 60

    enum CodingKeys: String, CodingKey {
        case host, pid, user, command, exclusive, created, refreshed
    }

    /// Not refreshed for 30 minutes, or its process is gone on this host.
    public func isStale(now: Date = Date()) -> Bool {
        if now.timeIntervalSince(refreshed) > Self.staleAfter { return true }
        return host == HostInfo.hostname && !HostInfo.processExists(pid)
    }

    /// "backup (pid 42 on host nas since 2025-…)"
    public var holder: String {
        "\(command) (pid \(pid) on host \(host) since \(Timestamp.format(created)))"
    }
}

/// A lock held by this process. Refreshed every 5 minutes on a background
/// timer (a new file first, then the old one removed) until `release()`.
/// Thread-safe.
public final class RepositoryLock: @unchecked Sendable {
    private let repository: Repository
    private let mutex = NSLock()
    private var info: LockInfo
    private var released = false
    private var timer: DispatchSourceTimer?
    private var lastRefreshError: Error?

    init(repository: Repository, info: LockInfo, refreshInterval: TimeInterval) {
        self.repository = repository
        self.info = info
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        timer.schedule(deadline: .now() + refreshInterval, repeating: refreshInterval)
        timer.setEventHandler { [weak self] in self?.refresh() }
        self.timer = timer
        timer.resume()
    }

    deinit {
        timer?.cancel()
        if !released { try? repository.backend.remove(Handle(.lock, info.id)) }
    }

    public var id: String { mutex.withLock { info.id } }
    public var isExclusive: Bool { info.exclusive }
    /// The last refresh failure, if any (the lock may then turn stale for others).
    public var refreshError: Error? { mutex.withLock { lastRefreshError } }

    /// Writes a fresh lock file and removes the previous one.
    public func refresh() {
        mutex.withLock {
            guard !released else { return }
            var fresh = info
            fresh.refreshed = Date()
            do {
                fresh.id = try repository.writeLock(fresh).hex
                try? repository.backend.remove(Handle(.lock, info.id))
                info = fresh
                lastRefreshError = nil
            } catch {
                lastRefreshError = error
            }
        }
    }

    /// Stops refreshing and removes the lock file. Idempotent.
    public func release() throws {
        try mutex.withLock {
            guard !released else { return }
            released = true
            timer?.cancel()
            timer = nil
            do {
                try repository.backend.remove(Handle(.lock, info.id))
            } catch let error as BackendError where error.code == .notFound {
                // Already removed (e.g. by `unlock`): nothing to do.
            }
        }
    }
}
