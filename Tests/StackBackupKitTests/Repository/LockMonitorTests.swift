import Foundation
import Synchronization
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// Clocks that tests move forward: a process "stopped for 40 minutes" without waiting for them.
final class ManualLockClock: Sendable {
    private let offsets = Mutex((wall: 0.0, boot: 0.0))

    func advance(wall: TimeInterval, boot: TimeInterval) {
        offsets.withLock { $0 = ($0.wall + wall, $0.boot + boot) }
    }

    var clock: LockClock {
        LockClock(wall: { Date().addingTimeInterval(self.offsets.withLock { $0.wall }) },
                  boot: { LockClock.system.boot() + self.offsets.withLock { $0.boot } })
    }
}

/// The lock monitor: a held lock that can no longer be proven ours is lost,
/// cancels its job and writes nothing more.
@Suite struct LockMonitorTests {
    static let snapshot = Snapshot(time: Date(), host: "nas", kind: .volume, source: "data", root: .zero)

    @Test func aRefreshThatFindsItsFileRemovedCancelsTheTokenAndWritesNoNewLock() throws {
        let repository = try TestRepository()
        let token = Cancellation()
        let lock = try repository.lock(exclusive: false, command: "backup data", wait: 0, refreshInterval: 0.1, cancellation: token)
        defer { try? lock.release() }
        try repository.backend.remove(Handle(.lock, lock.id))  // `unlock --all` from another process

        let deadline = Date().addingTimeInterval(20)
        while !token.isCancelled && Date() < deadline { usleep(1_000) }
        guard case .lockLost(let why)? = token.reason else {
            Issue.record("the token was not cancelled for a lost lock: \(String(describing: token.reason))")
            return
        }
        #expect(why.contains("was removed by another process"), "\(why)")
        #expect(lock.lostReason == why)
        #expect(try repository.backend.list(.lock).isEmpty, "a lost lock was written again")
        #expect(throws: InterruptedError.self) { try token.check() }
    }

    @Test(arguments: [(wall: 31.0, boot: 31.0), (wall: 0, boot: 40), (wall: 40, boot: 0)])
    func aRefreshAfterAGapLongerThanTheStaleWindowWritesNoNewLock(minutes: (wall: Double, boot: Double)) throws {
        let repository = try TestRepository()
        let token = Cancellation()
        let time = ManualLockClock()
        let lock = try repository.lock(exclusive: false, command: "backup data", wait: 0, refreshInterval: 3600,
                                       clock: time.clock, cancellation: token)
        defer { try? lock.release() }
        let written = lock.id
        // Stopped (SIGSTOP: both clocks run on), suspended with the wall clock set back, or the wall clock alone jumping.
        time.advance(wall: minutes.wall * 60, boot: minutes.boot * 60)
        lock.refresh()

        #expect(try repository.backend.list(.lock).map(\.name) == [written], "the lock was resurrected by a late refresh")
        #expect(lock.id == written)
        guard case .lockLost(let why)? = token.reason else {
            Issue.record("the token was not cancelled: \(String(describing: token.reason))")
            return
        }
        #expect(why.contains("stopped or the machine suspended"), "\(why)")
        #expect { try lock.prove("no snapshot was written") } throws: { ($0 as? RepositoryError)?.code == .locked }
    }

    @Test func aRefreshWithinTheWindowProvesAndReplacesTheLock() throws {
        let repository = try TestRepository()
        let token = Cancellation()
        let time = ManualLockClock()
        let lock = try repository.lock(exclusive: false, command: "backup data", wait: 0, refreshInterval: 3600,
                                       clock: time.clock, cancellation: token)
        defer { try? lock.release() }
        let first = lock.id
        time.advance(wall: 20 * 60, boot: 20 * 60)
        lock.refresh()
        #expect(lock.id != first)
        #expect(try repository.backend.list(.lock).map(\.name) == [lock.id])
        #expect(!token.isCancelled)
        try lock.prove("no snapshot was written")
        // The proof is what counts: 20 more minutes after the refresh are still within the window.
        time.advance(wall: 20 * 60, boot: 20 * 60)
        try lock.prove("no snapshot was written")
    }

    @Test func aSnapshotIsNotWrittenOnceTheLockFileIsGone() throws {
        let repository = try TestRepository()
        let token = Cancellation()
        let lock = try repository.lock(exclusive: false, command: "backup data", wait: 0, refreshInterval: 3600, cancellation: token)
        defer { try? lock.release() }
        _ = try repository.saveBlob(.data, bytes: [1, 2, 3])
        try repository.backend.remove(Handle(.lock, lock.id))

        #expect {
            _ = try repository.saveSnapshot(Self.snapshot)
        } throws: { error in
            guard let error = error as? RepositoryError, error.code == .locked else { return false }
            return error.message.contains("was lost") && error.message.contains("was written") && error.message.contains("run the backup again")
        }
        #expect(try repository.backend.list(.snapshot).isEmpty)
        #expect(try repository.backend.list(.index).isEmpty, "an index naming packs a prune may have deleted was written")
        #expect(token.isCancelled)
    }

    @Test func aSnapshotIsNotWrittenAfterALongPauseEvenIfTheFileIsStillThere() throws {
        let repository = try TestRepository()
        let time = ManualLockClock()
        let lock = try repository.lock(exclusive: false, command: "backup data", wait: 0, refreshInterval: 3600, clock: time.clock)
        defer { try? lock.release() }
        time.advance(wall: 40 * 60, boot: 40 * 60)
        #expect(throws: RepositoryError.self) { _ = try repository.saveSnapshot(Self.snapshot) }
        #expect(try repository.backend.list(.snapshot).isEmpty)
    }

    @Test func aHeldLockLetsTheSnapshotThroughAndAReleasedOneIsNotChecked() throws {
        let repository = try TestRepository()
        let lock = try repository.lock(exclusive: false, command: "backup data", wait: 0, refreshInterval: 3600)
        _ = try repository.saveSnapshot(Self.snapshot)
        try lock.release()
        _ = try repository.saveSnapshot(Snapshot(time: Date(), host: "nas", kind: .volume, source: "other", root: .zero))
        #expect(try repository.backend.list(.snapshot).count == 2)
    }

    @Test func pruneDeletesNoPackOnceItsExclusiveLockIsLost() throws {
        let repository = try TestRepository()
        _ = try repository.saveBlob(.data, bytes: [UInt8](repeating: 9, count: 1000))
        try repository.flush()
        let packs = try repository.backend.list(.pack).map(\.name)
        #expect(packs.count == 1)
        let lock = try repository.lock(exclusive: true, command: "prune", wait: 0, refreshInterval: 3600)
        defer { try? lock.release() }
        let plan = try repository.planPrune(live: [], maxUnused: 0.05)
        #expect(plan.delete.count == 1)
        try repository.backend.remove(Handle(.lock, lock.id))

        #expect {
            _ = try repository.executePrune(plan)
        } throws: { ($0 as? RepositoryError)?.code == .locked && "\($0)".contains("run the prune again") }
        #expect(try repository.backend.list(.pack).map(\.name) == packs)
    }
}
