import Foundation
import Synchronization

/// A lock held by this process, and its monitor (after restic's
/// `monitorLockRefresh`). Every refresh interval it proves the lock is still
/// ours — the previous file is there, decodes, and names us — then writes a
/// fresh file and removes the old one. The lock is *lost*, for good, when
/// the file is gone (someone ran `unlock`, or took it for stale) or when the
/// last proof is older than `LockInfo.refreshableFor` (the process was
/// stopped or the machine suspended: other hosts may already treat the lock
/// as stale, so writing a new file would resurrect it behind their backs).
/// A lost lock writes nothing more and cancels the `Cancellation` it was
/// given; `prove` then throws for every writer that asks.
///
/// The timer ticks on the wall clock (it fires as soon as a suspended
/// machine wakes) at a fraction of the interval, so a long pause is noticed
/// within a second of resuming. Thread-safe; refreshes, proofs and release
/// are serialised, so a proof never reads a file a refresh just replaced.
public final class RepositoryLock: Sendable {
    private struct State {
        var info: LockInfo
        var released = false
        /// Why the lock was lost; set once, never cleared.
        var lost: String?
        /// When the lock was last proven ours (written, or confirmed present).
        var proven: LockClock.Reading
        var lastAttempt: LockClock.Reading
        var lastRefreshError: Error?
        var timer: DispatchSourceTimer?
    }

    private let repository: Repository
    private let clock: LockClock
    private let cancellation: Cancellation?
    private let interval: TimeInterval
    private let state: Mutex<State>

    init(repository: Repository, info: LockInfo, written: LockClock.Reading, refreshInterval: TimeInterval,
         clock: LockClock, cancellation: Cancellation?) {
        self.repository = repository
        self.clock = clock
        self.cancellation = cancellation
        self.interval = refreshInterval
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        state = Mutex(State(info: info, proven: written, lastAttempt: written, timer: timer))
        let tick = min(1, refreshInterval / 5)
        timer.schedule(wallDeadline: .now() + tick, repeating: tick)
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
        repository.heldLocks.add(self)
    }

    deinit {
        let (id, released) = state.withLock { state in
            state.timer?.cancel()
            return (state.info.id, state.released)
        }
        if !released { try? repository.backend.remove(Handle(.lock, id)) }
    }

    public var id: String { state.withLock { $0.info.id } }
    public var isExclusive: Bool { state.withLock { $0.info.exclusive } }
    /// The last refresh failure, if any (the lock may then turn stale for others).
    public var refreshError: Error? { state.withLock { $0.lastRefreshError } }
    /// Why the lock was lost, or nil while it is held.
    public var lostReason: String? { state.withLock { $0.lost } }

    /// Proves the lock is ours, then writes a fresh lock file and removes the
    /// previous one. Marks the lock lost (and cancels the job) instead when
    /// it can no longer be proven; a storage error is kept in `refreshError`
    /// and retried on the next tick, until the proof is too old.
    public func refresh() {
        let lost: String? = state.withLock { state in
            guard !state.released, state.lost == nil else { return nil }
            let now = clock.now()
            state.lastAttempt = now
            do {
                try confirm(&state, now: now)
                var fresh = state.info
                fresh.refreshed = now.wall
                fresh.id = try repository.writeLock(fresh).hex
                try? repository.backend.remove(Handle(.lock, state.info.id))
                state.info = fresh
                state.proven = now
                state.lastRefreshError = nil
            } catch let error as LostLock {
                return error.why
            } catch {
                state.lastRefreshError = error
            }
            return nil
        }
        if let lost { cancellation?.cancel(.lockLost(lost)) }
    }

    /// Throws `RepositoryError(.locked)` unless the lock is provably still
    /// ours right now: not lost, its file present with our id and contents,
    /// and proven within `LockInfo.refreshableFor`. `consequence` says what
    /// was not done ("no snapshot was written"); the message ends with
    /// "run the backup again" (the first word of the lock's command).
    public func prove(_ consequence: String) throws {
        let outcome: Result<Void, RepositoryError> = state.withLock { state in
            guard !state.released else { return .success(()) }
            let command = state.info.command
            if let lost = state.lost { return .failure(Self.lostError(command, lost, consequence)) }
            do {
                try confirm(&state, now: clock.now())
                return .success(())
            } catch let error as LostLock {
                return .failure(Self.lostError(command, error.why, consequence))
            } catch {
                return .failure(RepositoryError(.locked, "cannot prove that the repository lock of \"\(command)\" is still held (\(error)); "
                                                + "\(consequence); run the \(Self.verb(command)) again"))
            }
        }
        if case .failure(let error) = outcome {
            if let lost = lostReason { cancellation?.cancel(.lockLost(lost)) }
            throw error
        }
    }

    /// Stops refreshing and removes the lock file. Idempotent.
    public func release() throws {
        defer { repository.heldLocks.remove(self) }
        try state.withLock { state in
            guard !state.released else { return }
            state.released = true
            state.timer?.cancel()
            state.timer = nil
            do {
                try repository.backend.remove(Handle(.lock, state.info.id))
            } catch let error as BackendError where error.code == .notFound {
                // Already removed (e.g. by `unlock`): nothing to do.
            }
        }
    }

    // MARK: - Monitor

    /// A tick of the timer: refresh when due, or at once when the last proof
    /// is too old (so a resumed process learns it lost the lock immediately).
    private func tick() {
        let now = clock.now()
        let due = state.withLock { state in
            !state.released && state.lost == nil
                && (now.gap(since: state.lastAttempt) >= interval || now.gap(since: state.proven) > LockInfo.refreshableFor)
        }
        if due { refresh() }
    }

    private struct LostLock: Error {
        let why: String
    }

    /// Checks the age of the last proof and that our file is still there as
    /// we wrote it; records the loss in `state` and throws `LostLock` if not.
    /// Storage errors other than "not found" propagate: they prove nothing either way.
    private func confirm(_ state: inout State, now: LockClock.Reading) throws {
        let name = state.info.id
        let age = now.gap(since: state.proven)
        var why: String?
        if age > LockInfo.refreshableFor {
            why = "it was last proven \(Self.minutes(age)) ago, at \(Timestamp.format(state.proven.wall)) (the process was stopped or the machine suspended), "
                + "and after \(Self.minutes(LockInfo.staleAfter)) other processes may take it for stale and remove it"
        } else {
            do {
                let found = try repository.readLock(name)
                if !found.isSameHolder(as: state.info) { why = "its file locks/\(name.prefix(8)) no longer holds this process's lock" }
            } catch let error as BackendError where error.code == .notFound {
                why = "its file locks/\(name.prefix(8)) was removed by another process (`stackbackup unlock`, or a cleanup that took it for stale)"
            } catch let failure as BackendError {
                throw failure
            } catch {
                why = "its file locks/\(name.prefix(8)) is damaged or no lock document (\(error))"
            }
        }
        guard let why else { return }
        state.lost = why
        state.timer?.cancel()
        state.timer = nil
        throw LostLock(why: why)
    }

    static func lostError(_ command: String, _ why: String, _ consequence: String) -> RepositoryError {
        RepositoryError(.locked, "the repository lock of \"\(command)\" was lost: \(why); \(consequence); run the \(verb(command)) again")
    }

    /// "backup data" → "backup".
    private static func verb(_ command: String) -> String {
        String(command.split(separator: " ").first ?? "command")
    }

    private static func minutes(_ seconds: TimeInterval) -> String {
        seconds >= 90 ? "\(Int((seconds / 60).rounded())) min" : "\(Int(seconds.rounded())) s"
    }
}
