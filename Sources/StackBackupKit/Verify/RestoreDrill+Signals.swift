import Foundation

/// The stop flag of one drill: set by SIGINT/SIGTERM (or `cancel`), it
/// cancels the running restore and the statement on the comparing connection.
/// Thread-safe.
final class DrillCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var signalNumber: Int32?
    private var restorer: DatabaseRestorer?
    private var connection: PGConnection?

    var signal: Int32? { lock.withLock { signalNumber } }

    func stop(signal: Int32) {
        let (restorer, connection): (DatabaseRestorer?, PGConnection?) = lock.withLock {
            if signalNumber == nil { signalNumber = signal }
            return (self.restorer, self.connection)
        }
        restorer?.cancel()
        connection?.cancel()
    }

    /// The restorer or connection currently working (nil to clear); cancelled at once when stopped already.
    func attach(restorer: DatabaseRestorer?) {
        let stopped: Bool = lock.withLock { self.restorer = restorer; return signalNumber != nil }
        if stopped { restorer?.cancel() }
    }

    func attach(connection: PGConnection?) {
        let stopped: Bool = lock.withLock { self.connection = connection; return signalNumber != nil }
        if stopped { connection?.cancel() }
    }

    func check() throws {
        if let signal { throw DrillCancellation.interrupted(signal) }
    }

    static func interrupted(_ signal: Int32) -> DrillError {
        let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
        return DrillError(.interrupted(signal: signal), "the restore drill was interrupted (\(name)); its scratch database was dropped")
    }
}
