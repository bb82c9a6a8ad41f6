import Foundation
import Synchronization

/// The stop flag of one drill: set from the repository's cancellation (a
/// signal) or `cancel`, it cancels the running restore and the statement on
/// the comparing connection. Thread-safe.
final class DrillCancellation: Sendable {
    private struct State {
        var reason: Cancellation.Reason?
        var restorer: DatabaseRestorer?
        var connection: PGConnection?
    }

    private let state = Mutex(State())

    var reason: Cancellation.Reason? { state.withLock { $0.reason } }

    func stop(_ reason: Cancellation.Reason) {
        let (restorer, connection): (DatabaseRestorer?, PGConnection?) = state.withLock { state in
            if state.reason == nil { state.reason = reason }
            return (state.restorer, state.connection)
        }
        restorer?.cancel()
        connection?.cancel()
    }

    /// The restorer or connection currently working (nil to clear); cancelled at once when stopped already.
    func attach(restorer: DatabaseRestorer?) {
        let stopped: Bool = state.withLock { $0.restorer = restorer; return $0.reason != nil }
        if stopped { restorer?.cancel() }
    }

    func attach(connection: PGConnection?) {
        let stopped: Bool = state.withLock { $0.connection = connection; return $0.reason != nil }
        if stopped { connection?.cancel() }
    }

    func check() throws {
        if let error = interruption { throw error }
    }

    /// The error a stopped drill throws (nil while not stopped).
    var interruption: InterruptedError? {
        reason.map { InterruptedError(reason: $0, detail: "the restore drill stopped; its scratch database was dropped") }
    }
}
