import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// A prune interrupted at every storage call in turn (the call fails and every
/// later one too, as if the process were killed there) loses nothing: the
/// kept snapshots read back bit-exact, a full data check is clean, and a
/// second prune completes and leaves a clean, fully pruned repository.
@Suite(.serialized) struct PruneCrashTests {
    @Test(arguments: FaultyBackend.Operation.allCases)
    func aPruneInterruptedAtAnyCallLosesNothing(_ operation: FaultyBackend.Operation) throws {
        let fixture = try PruneFixture()
        try fixture.forgetOld()

        // How many calls of this kind a clean prune makes, and what it leaves.
        let reference = try fixture.backend.copy()
        let counting = FaultyBackend(reference)
        let countingRepository = try Repository.open(backend: counting, passphrase: PruneFixture.passphrase)
        counting.count([operation])
        let expected = try PruneJob.run(repository: countingRepository, options: PruneOptions(), progress: nil)
        let calls = counting.callCount
        let prunedPackBytes = try PruneFixture.packBytes(reference)
        #expect(calls > 0)

        for call in 1...calls {
            let storage = try fixture.backend.copy()
            let faulty = FaultyBackend(storage)
            let repository = try Repository.open(backend: faulty, passphrase: PruneFixture.passphrase)
            faulty.fail(call: call, of: [operation])
            let label = "after failing \(operation) call \(call) of \(calls)"
            do {
                _ = try PruneJob.run(repository: repository, options: PruneOptions(), progress: nil)
                // Only the last call (releasing the lock, reloading the index) may fail unreported.
                #expect(call == calls, "\(label): the failure was not reported")
            } catch {}
            #expect(faulty.hasFailed, "\(label)")

            // The process is gone: its lock is removed by `unlock`.
            let reopened = try Repository.open(backend: storage, passphrase: PruneFixture.passphrase)
            _ = try reopened.removeLocks(staleOnly: false)
            try PruneFixture.expectKeptSnapshotsIntact(storage, fixture, label)

            let second = try PruneJob.run(repository: reopened, options: PruneOptions(), progress: nil)
            #expect(second.blobsLive == expected.blobsLive, "\(label)")
            try PruneFixture.expectKeptSnapshotsIntact(storage, fixture, label + ", then pruned again")
            #expect(try PruneFixture.packBytes(storage) <= prunedPackBytes + 2_000, "\(label)")
            #expect(try storage.list(.index).count == 1, "\(label)")
        }
    }
}
