import Foundation
import Synchronization

/// The one stop signal of a job. The executable creates it, the signal
/// handler and the lock monitor cancel it, and every job checks it between
/// units of work and registers what it would have to stop (a connection's
/// running statement, a worker queue, a child process). The first reason wins.
public final class Cancellation: Sendable {
    /// Why a job was told to stop.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// SIGINT or SIGTERM.
        case signal(Int32)
        /// The repository lock could no longer be proven ours and fresh.
        case lockLost(String)

        public var description: String {
            switch self {
            case .signal(let number): return "interrupted by \(Cancellation.signalName(number))"
            case .lockLost(let why): return "stopped because the repository lock was lost: \(why)"
            }
        }
    }

    /// A handler added with `onCancel`; `remove()` it once the thing it stops is done.
    public struct Registration: Sendable {
        fileprivate let id: Int
        fileprivate weak var owner: Cancellation?

        public func remove() { owner?.remove(id) }
    }

    private struct State {
        var reason: Reason?
        var handlers: [Int: @Sendable () -> Void] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// A token nobody cancels (tests, library callers that do not trap signals).
    public static var never: Cancellation { Cancellation() }

    public var reason: Reason? { state.withLock { $0.reason } }
    public var isCancelled: Bool { reason != nil }

    /// Cancels with `reason` (ignored when already cancelled) and runs every
    /// registered handler once, outside the lock.
    public func cancel(_ reason: Reason) {
        let handlers: [@Sendable () -> Void] = state.withLock { state in
            guard state.reason == nil else { return [] }
            state.reason = reason
            let all = Array(state.handlers.values)
            state.handlers.removeAll()
            return all
        }
        for handler in handlers { handler() }
    }

    /// Runs `handler` on cancellation — at once, on this thread, when already cancelled.
    @discardableResult
    public func onCancel(_ handler: @escaping @Sendable () -> Void) -> Registration {
        let id: Int? = state.withLock { state in
            guard state.reason == nil else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.handlers[id] = handler
            return id
        }
        guard let id else {
            handler()
            return Registration(id: -1, owner: nil)
        }
        return Registration(id: id, owner: self)
    }

    /// Throws `InterruptedError` once cancelled.
    public func check() throws {
        if let reason { throw InterruptedError(reason: reason) }
    }

    /// The interruption when cancelled, else `error`: for a failure that the
    /// stop itself caused (a statement cancelled by the server, a closed queue).
    public func interruption(or error: Error) -> Error {
        if let reason, !(error is InterruptedError) { return InterruptedError(reason: reason) }
        return error
    }

    fileprivate func remove(_ id: Int) {
        _ = state.withLock { $0.handlers.removeValue(forKey: id) }
    }

    public static func signalName(_ number: Int32) -> String {
        switch number {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(number)"
        }
    }
}

/// A job stopped by its `Cancellation`: exit 130 for SIGINT, 143 for SIGTERM,
/// 11 when the repository lock was lost.
public struct InterruptedError: Error, CustomStringConvertible, Sendable {
    public let reason: Cancellation.Reason
    /// What was left behind (or cleaned up), appended to the message.
    public var detail: String?

    public init(reason: Cancellation.Reason, detail: String? = nil) {
        self.reason = reason
        self.detail = detail
    }

    /// The same interruption with `note` (what was kept or cleaned up) added.
    public func adding(_ note: String) -> InterruptedError {
        InterruptedError(reason: reason, detail: detail.map { "\($0); \(note)" } ?? note)
    }

    public var description: String {
        var text = "\(reason)"
        if let detail { text += "; \(detail)" }
        return text
    }
}
