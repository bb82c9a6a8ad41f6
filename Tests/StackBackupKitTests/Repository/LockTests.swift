import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite struct LockTests {
    @Test func sharedLocksCoexist() throws {
        let repository = try TestRepository()
        let first = try repository.lock(exclusive: false, command: "backup")
        let second = try repository.lock(exclusive: false, command: "verify")
        #expect(try repository.listLocks().count == 2)
        try first.release()
        try second.release()
        try second.release()  // idempotent
        #expect(try repository.listLocks().isEmpty)
    }

    @Test func anExclusiveLockBlocksASharedOneAndNamesItsHolder() throws {
        let repository = try TestRepository()
        let held = try repository.lock(exclusive: true, command: "prune")
        #expect {
            _ = try repository.lock(exclusive: false, command: "backup", wait: 0.3)
        } throws: { error in
            guard let error = error as? RepositoryError, error.code == .locked else { return false }
            return error.message.contains("prune") && error.message.contains("pid \(HostInfo.pid)")
                && error.message.contains("on host \(HostInfo.hostname)")
        }
        #expect(try repository.listLocks().count == 1)
        try held.release()
        let after = try repository.lock(exclusive: false, command: "backup")
        try after.release()
    }

    @Test func aSharedLockBlocksAnExclusiveOne() throws {
        let repository = try TestRepository()
        let held = try repository.lock(exclusive: false, command: "backup")
        #expect { _ = try repository.lock(exclusive: true, command: "prune") } throws: { ($0 as? RepositoryError)?.code == .locked }
        try held.release()
    }

    @Test func aWaitingLockerGetsTheLockOnceReleased() throws {
        let repository = try TestRepository()
        let held = try repository.lock(exclusive: true, command: "prune")
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { try? held.release() }
        let lock = try repository.lock(exclusive: true, command: "forget", wait: 10)
        try lock.release()
    }

    @Test func staleLocksDoNotBlockAndAreRemoved() throws {
        let repository = try TestRepository()
        let old = Date().addingTimeInterval(-3600)
        _ = try repository.writeLock(LockInfo(host: "elsewhere", pid: 1, user: "u", command: "backup", exclusive: true,
                                               created: old, refreshed: old))
        _ = try repository.writeLock(LockInfo(host: HostInfo.hostname, pid: Int32.max, user: "u", command: "prune", exclusive: true,
                                               created: Date(), refreshed: Date()))
        let live = try repository.writeLock(LockInfo(host: "elsewhere", pid: 1, user: "u", command: "verify", exclusive: false,
                                                     created: Date(), refreshed: Date()))
        #expect(try repository.listLocks().filter { $0.isStale() }.count == 2)
        let mine = try repository.lock(exclusive: false, command: "backup")
        try mine.release()
        #expect(try repository.removeLocks(staleOnly: true) == 2)
        #expect(try repository.listLocks().map(\.id) == [live.hex])
        #expect(try repository.removeLocks(staleOnly: false) == 1)
    }

    @Test func refreshingReplacesTheLockFile() throws {
        let repository = try TestRepository()
        let lock = try repository.lock(exclusive: false, command: "backup", wait: 0, refreshInterval: 0.2)
        let firstID = lock.id
        #expect(Poll.until(timeout: 30) { lock.id != firstID }, "the lock was never refreshed")
        #expect(try repository.listLocks().map(\.id) == [lock.id])
        try lock.release()
        #expect(try repository.listLocks().isEmpty)
    }
}
