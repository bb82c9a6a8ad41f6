import Testing
import StackBackupKit

@Suite("Retries with backoff and jitter")
struct RetryPolicyTests {
    @Test func delaysStayUnderTheGrowingCeiling() {
        let policy = RetryPolicy(maxRetries: 5, baseDelay: 0.1, maxDelay: 1)
        for retry in 0..<8 {
            let ceiling = min(1, 0.1 * Double(1 << retry))
            for _ in 0..<50 { #expect((0...ceiling).contains(policy.delay(beforeRetry: retry))) }
        }
    }

    @Test func retriesOnlyRetryableErrorsAndGivesUpAfterTheLimit() throws {
        let policy = RetryPolicy(maxRetries: 3, baseDelay: 0)
        var calls = 0
        #expect(throws: BackendError.self) {
            try policy.run(isRetryable: { ($0 as? BackendError)?.isRetryable ?? false }) { _ in
                calls += 1
                throw BackendError(.io, path: "x", reason: "flaky")
            }
        }
        #expect(calls == 4)
        calls = 0
        #expect(throws: BackendError.self) {
            try policy.run(isRetryable: { ($0 as? BackendError)?.isRetryable ?? false }) { _ in
                calls += 1
                throw BackendError(.notFound, path: "x", reason: "gone")
            }
        }
        #expect(calls == 1)
        let value = try policy.run(isRetryable: { _ in true }) { attempt in
            if attempt < 2 { throw BackendError(.io, path: "x", reason: "flaky") }
            return attempt
        }
        #expect(value == 2)
    }
}
