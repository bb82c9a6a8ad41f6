import Foundation

/// How a batch of sources ended, before a stop is taken into account.
public enum BatchOutcome: Sendable, Equatable {
    /// Every source succeeded and none is partial (or there was none).
    case ok
    /// Some sources failed or are partial, and at least one succeeded (exit 3).
    case partial
    /// Something failed and nothing succeeded (exit 1).
    case failure
}

/// Runs one closure per source — every batch command and the nightly run —
/// and keeps going past a failing source. An `InterruptedError` from a source,
/// or the cancellation token, stops the batch: the sources after it are not
/// run but listed in `notDone`. Not thread-safe: one batch per caller.
public struct SourceBatch<Result> {
    public struct Failure {
        public let source: String
        public let error: any Error
    }

    public private(set) var results: [(source: String, result: Result)] = []
    /// Sources that failed; an interruption is not a failure of its source.
    public private(set) var failures: [Failure] = []
    /// Sources that succeeded without all of their content (entries skipped).
    public private(set) var partial: [String] = []
    /// What was not started because the batch was stopped.
    public private(set) var notDone: [String] = []
    /// Why the batch stopped, once it has.
    public private(set) var interruption: InterruptedError?

    let cancellation: Cancellation
    let isPartial: (Result) -> Bool

    public init(cancellation: Cancellation, isPartial: @escaping (Result) -> Bool = { _ in false }) {
        self.cancellation = cancellation
        self.isPartial = isPartial
    }

    /// True once the batch must stop; then `what` is recorded as not done.
    /// Steps after the sources (forget, prune) ask it too.
    public mutating func stopping(_ what: String) -> Bool {
        if interruption == nil, let reason = cancellation.reason { interruption = InterruptedError(reason: reason) }
        guard interruption != nil else { return false }
        notDone.append(what)
        return true
    }

    /// Runs `body` for `source` unless the batch was stopped (then nil).
    @discardableResult
    public mutating func run(_ source: String, _ body: () throws -> Result) -> Swift.Result<Result, any Error>? {
        if stopping(source) { return nil }
        do {
            let result = try body()
            results.append((source, result))
            if isPartial(result) { partial.append(source) }
            return .success(result)
        } catch let error as InterruptedError {
            if interruption == nil { interruption = error }
            return .failure(error)
        } catch {
            failures.append(Failure(source: source, error: error))
            return .failure(error)
        }
    }

    /// ok, partial or failure; `otherFailures` counts failed steps run beside the sources.
    public func outcome(otherFailures: Int = 0) -> BatchOutcome {
        if failures.isEmpty && partial.isEmpty && otherFailures == 0 { return .ok }
        return results.isEmpty ? .failure : .partial
    }

    /// The error a one-source command exits with: it says more than "partial".
    public var onlyFailure: (any Error)? {
        results.isEmpty && failures.count == 1 && interruption == nil ? failures[0].error : nil
    }
}
