import Foundation

/// How often and how patiently to retry a failed storage request:
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

/// A decorator that retries any backend's operations that fail with a
/// retryable `BackendError` (`isRetryable`), for backends without retries of
/// their own (a folder on a network filesystem). `S3Backend` retries each HTTP
/// request itself and needs no decorator.
///
/// A retried `save` whose first attempt may have landed is accepted when the
/// file now exists with the same size: repository files are named by their
/// content (or written once, like `config`), so that is the same file.
public final class RetryingBackend: Backend, @unchecked Sendable {
    public let base: Backend
    public let policy: RetryPolicy

    public init(_ base: Backend, policy: RetryPolicy = RetryPolicy()) {
        self.base = base
        self.policy = policy
    }

    public var location: String { base.location }
    public var preferredConcurrency: Int { base.preferredConcurrency }

    private func retrying<T>(_ body: () throws -> T) throws -> T {
        try policy.run(isRetryable: { ($0 as? BackendError)?.isRetryable ?? false }) { _ in try body() }
    }

    public func exists(_ handle: Handle) throws -> Bool { try retrying { try base.exists(handle) } }

    public func save(_ handle: Handle, _ bytes: [UInt8]) throws {
        try policy.run(isRetryable: { ($0 as? BackendError)?.isRetryable ?? false }) { attempt in
            do {
                try base.save(handle, bytes)
            } catch let error as BackendError where error.code == .alreadyExists && attempt > 0 {
                guard try base.size(handle) == bytes.count else { throw error }
            }
        }
    }

    public func load(_ handle: Handle) throws -> [UInt8] { try retrying { try base.load(handle) } }

    public func load(_ handle: Handle, offset: Int, length: Int) throws -> [UInt8] {
        try retrying { try base.load(handle, offset: offset, length: length) }
    }

    public func size(_ handle: Handle) throws -> Int { try retrying { try base.size(handle) } }

    public func list(_ kind: FileKind) throws -> [(name: String, size: Int)] { try retrying { try base.list(kind) } }

    public func remove(_ handle: Handle) throws {
        try policy.run(isRetryable: { ($0 as? BackendError)?.isRetryable ?? false }) { attempt in
            do {
                try base.remove(handle)
            } catch let error as BackendError where error.code == .notFound && attempt > 0 {
                return // the first attempt removed it
            }
        }
    }
}
