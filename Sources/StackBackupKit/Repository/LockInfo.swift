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
    /// How long a holder may go without proving its lock before it gives the
    /// lock up as lost: a margin (1.5 refresh intervals, as restic) below
    /// `staleAfter` for clock drift between hosts and a slow refresh.
    public static let refreshableFor: TimeInterval = staleAfter - 1.5 * refreshInterval

    enum CodingKeys: String, CodingKey {
        case host, pid, user, command, exclusive, created, refreshed
    }

    /// Not refreshed for 30 minutes, or its process is gone on this host.
    public func isStale(now: Date = Date()) -> Bool {
        if now.timeIntervalSince(refreshed) > Self.staleAfter { return true }
        return isOfDeadProcess
    }

    /// Taken on this host by a process that no longer exists (a crash or SIGKILL).
    public var isOfDeadProcess: Bool {
        host == HostInfo.hostname && !HostInfo.processExists(pid)
    }

    /// "backup (pid 42 on host nas since 2025-…)"
    public var holder: String {
        "\(command) (pid \(pid) on host \(host) since \(Timestamp.format(created)))"
    }

    /// The same lock document: everything but the refresh time and file name
    /// (`created` as documents store it, to the millisecond).
    func isSameHolder(as other: LockInfo) -> Bool {
        host == other.host && pid == other.pid && user == other.user && command == other.command
            && exclusive == other.exclusive && abs(created.timeIntervalSince(other.created)) <= 0.001
    }
}
