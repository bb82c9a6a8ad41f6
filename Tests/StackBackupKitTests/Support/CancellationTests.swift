import Foundation
import StackBackupKit
import Synchronization
import Testing

@Suite struct CancellationTests {
    @Test func theFirstReasonWinsAndHandlersRunOnce() throws {
        let token = Cancellation()
        let calls = Mutex(0)
        token.onCancel { calls.withLock { $0 += 1 } }
        token.cancel(.signal(SIGTERM))
        token.cancel(.signal(SIGINT))
        #expect(token.reason == .signal(SIGTERM))
        #expect(calls.withLock { $0 } == 1)
        #expect(throws: InterruptedError.self) { try token.check() }
    }

    @Test func aHandlerAddedAfterTheStopRunsAtOnceAndARemovedOneNever() {
        let token = Cancellation()
        let removed = Mutex(false), late = Mutex(false)
        token.onCancel { removed.withLock { $0 = true } }.remove()
        token.cancel(.lockLost("removed by unlock"))
        token.onCancel { late.withLock { $0 = true } }
        #expect(!removed.withLock { $0 })
        #expect(late.withLock { $0 })
    }

    @Test func theInterruptionSaysWhatStoppedAndWhatWasKept() {
        let error = InterruptedError(reason: .signal(SIGINT)).adding("no snapshot of data was written")
        #expect(error.description == "interrupted by SIGINT; no snapshot of data was written")
    }
}
