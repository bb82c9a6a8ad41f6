import Foundation
import Synchronization
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// The run lock file exists only while a run holds it, and removing it never
/// lets two runs hold the lock at once.
@Suite("Run lock")
struct RunLockTests {
    @Test func releasingRemovesTheFileAndAWaiterHoldsTheLockOnThePath() throws {
        let folder = TemporaryDirectory("runlock")
        let statusFile = folder.sub("state/status.json")
        let first = try RunLock.acquire(statusFile: statusFile, wait: 0)
        #expect(FileManager.default.fileExists(atPath: first.path))
        #expect(throws: RepositoryError.self) { _ = try RunLock.acquire(statusFile: statusFile, wait: 0) }

        // A second run waits; the first one ends while it waits (or before it starts waiting).
        let second = Mutex<Result<RunLock, any Error>?>(nil)
        let waiter = Thread { second.withLock { $0 = Result { try RunLock.acquire(statusFile: statusFile, wait: 30) } } }
        waiter.start()
        first.release()
        try #require(Poll.until(timeout: 30) { second.withLock { $0 != nil } })
        let held = try #require(try second.withLock { try $0?.get() })
        // It holds the lock on the file the path names now: a third run is refused.
        #expect(FileManager.default.fileExists(atPath: held.path))
        #expect(throws: RepositoryError.self) { _ = try RunLock.acquire(statusFile: statusFile, wait: 0) }
        held.release()
        #expect(!FileManager.default.fileExists(atPath: held.path))
    }
}
