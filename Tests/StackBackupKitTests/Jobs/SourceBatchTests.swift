import Foundation
import Testing
@testable import StackBackupKit

@Suite struct SourceBatchTests {
    struct Boom: Error {}

    @Test func allGoodIsOkAndNothingAtAllIsOk() {
        var batch = SourceBatch<Int>(cancellation: Cancellation())
        #expect(batch.outcome() == .ok)
        batch.run("a") { 1 }
        #expect(batch.outcome() == .ok)
        #expect(batch.onlyFailure == nil)
    }

    @Test func aFailureBesideASuccessIsPartialAndAllFailedIsFailure() {
        var mixed = SourceBatch<Int>(cancellation: Cancellation())
        mixed.run("a") { 1 }
        mixed.run("b") { throw Boom() }
        #expect(mixed.outcome() == .partial)
        #expect(mixed.failures.map(\.source) == ["b"])

        var failed = SourceBatch<Int>(cancellation: Cancellation())
        failed.run("a") { throw Boom() }
        #expect(failed.outcome() == .failure)
        #expect(failed.onlyFailure is Boom)
        failed.run("b") { throw Boom() }
        #expect(failed.onlyFailure == nil)
    }

    @Test func aPartialResultMakesThePartialOutcome() {
        var batch = SourceBatch<Int>(cancellation: Cancellation(), isPartial: { $0 < 0 })
        batch.run("a") { -1 }
        #expect(batch.partial == ["a"])
        #expect(batch.outcome() == .partial)
        #expect(SourceBatch<Int>(cancellation: Cancellation()).outcome(otherFailures: 1) == .failure)
    }

    @Test func aStopSkipsTheRestAndIsNotAFailure() {
        let token = Cancellation()
        var batch = SourceBatch<Int>(cancellation: token)
        batch.run("a") { 1 }
        batch.run("b") { token.cancel(.signal(SIGINT)); throw InterruptedError(reason: .signal(SIGINT)) }
        let third = batch.run("c") { 3 }
        #expect(third == nil)
        #expect(batch.failures.isEmpty)
        #expect(batch.interruption?.reason == .signal(SIGINT))
        #expect(batch.notDone == ["c"])
        let stopped = batch.stopping("forget")
        #expect(stopped)
        #expect(batch.notDone == ["c", "forget"])
    }
}
