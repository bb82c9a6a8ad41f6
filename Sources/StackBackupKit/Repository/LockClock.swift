import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The clocks a held lock measures its own age with. The wall clock is what
/// other processes compare a lock's `refreshed` time against; CLOCK_BOOTTIME
/// keeps counting while the machine is suspended (CLOCK_MONOTONIC does not)
/// and does not jump when the wall clock is set. The age of a proof is the
/// larger of the two gaps, so neither a suspend nor a clock step hides it.
/// Injectable so tests can pass 40 minutes without waiting for them.
public struct LockClock: Sendable {
    /// One reading of both clocks.
    public struct Reading: Sendable {
        public var wall: Date
        public var boot: TimeInterval

        /// Seconds from `earlier` to this reading: the larger gap of the two clocks.
        public func gap(since earlier: Reading) -> TimeInterval {
            max(wall.timeIntervalSince(earlier.wall), boot - earlier.boot)
        }
    }

    public var wall: @Sendable () -> Date
    public var boot: @Sendable () -> TimeInterval

    public init(wall: @escaping @Sendable () -> Date, boot: @escaping @Sendable () -> TimeInterval) {
        self.wall = wall
        self.boot = boot
    }

    public func now() -> Reading { Reading(wall: wall(), boot: boot()) }

    /// The real clocks.
    public static let system = LockClock(wall: { Date() }, boot: { LockClock.bootTime() })

    /// Seconds since boot, suspend included.
    static func bootTime() -> TimeInterval {
        var spec = timespec()
        // CLOCK_BOOTTIME exists on every Linux this runs on; fall back to the
        // monotonic clock rather than fail a lock over a clock read.
        if clock_gettime(CLOCK_BOOTTIME, &spec) != 0 { clock_gettime(CLOCK_MONOTONIC, &spec) }
        return TimeInterval(spec.tv_sec) + TimeInterval(spec.tv_nsec) / 1e9
    }
}
