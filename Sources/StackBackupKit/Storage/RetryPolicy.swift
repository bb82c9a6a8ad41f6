import Foundation

/// How often and how patiently to retry a failed storage request (the one retry
/// policy: `S3Backend.execute` runs each HTTP request under it):
/// exponential backoff with full jitter (sleep a random time between 0 and
/// `min(maxDelay, baseDelay * 2^attempt)`), so many clients that failed together
/// do not retry together.
public struct RetryPolicy: Sendable {
    /// Retries after the first attempt (so `maxRetries + 1` attempts in all).
    public var maxRetries = 5
    public var baseDelay: TimeInterval = 0.2
    public var maxDelay: TimeInterval = 10

    public init(maxRetries: Int = 5, baseDelay: TimeInterval = 0.2, maxDelay: TimeInterval = 10) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// No retries: for tests that want to see the first failure.
    public static let none = RetryPolicy(maxRetries: 0)

    /// The pause before retry number `retry` (0-based).
    public func delay(beforeRetry retry: Int) -> TimeInterval {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(min(retry, 30))))
        return ceiling > 0 ? Double.random(in: 0...ceiling) : 0
    }

    /// Runs `body` until it succeeds, fails with an error `isRetryable` rejects,
    /// or the retries are used up; rethrows the last error.
    public func run<T>(isRetryable: (Error) -> Bool, _ body: (_ attempt: Int) throws -> T) throws -> T {
        var attempt = 0
        while true {
            do {
                return try body(attempt)
            } catch {
                guard attempt < maxRetries, isRetryable(error) else { throw error }
                Thread.sleep(forTimeInterval: delay(beforeRetry: attempt))
                attempt += 1
            }
        }
    }
}
