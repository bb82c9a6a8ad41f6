import Foundation
import Synchronization
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// A backend that records, each time snapshots are listed, how many lock files exist.
private final class ListingSpy: Backend {
    let base = MemoryBackend()
    let locksAtSnapshotListing = Mutex<[Int]>([])

    var location: String { base.location }
    func exists(_ handle: Handle) throws -> Bool { try base.exists(handle) }
    func save(_ handle: Handle, _ bytes: [UInt8]) throws { try base.save(handle, bytes) }
    func load(_ handle: Handle) throws -> [UInt8] { try base.load(handle) }
    func load(_ handle: Handle, offset: Int, length: Int) throws -> [UInt8] { try base.load(handle, offset: offset, length: length) }
    func size(_ handle: Handle) throws -> Int { try base.size(handle) }
    func remove(_ handle: Handle) throws { try base.remove(handle) }
    func list(_ kind: FileKind) throws -> [(name: String, size: Int)] {
        if kind == .snapshot {
            let locks = try base.list(.lock).count
            locksAtSnapshotListing.withLock { $0.append(locks) }
        }
        return try base.list(kind)
    }
}

@Suite struct ForgetLockOrderTests {
    @Test func forgetHoldsItsLockWhileItListsSnapshots() throws {
        let spy = ListingSpy()
        let repository = try TestRepository(backend: spy)
        for day in 0..<3 {
            _ = try repository.saveSnapshot(Snapshot(time: Date(timeIntervalSince1970: 1_700_000_000 + Double(day) * 86_400),
                                                     host: "nas", kind: .volume, source: "data", root: .zero))
        }
        spy.locksAtSnapshotListing.withLock { $0 = [] }

        let outcome = try ForgetJob.run(repository: repository, policies: RetentionPolicySet(default: RetentionPolicy(keepLast: 1)))
        #expect(outcome.removed.count == 2)
        let seen = spy.locksAtSnapshotListing.withLock { $0 }
        #expect(!seen.isEmpty && seen.allSatisfy { $0 == 1 }, "lock files present at each snapshot listing: \(seen)")
        #expect(try spy.base.list(.lock).isEmpty)
    }
}
