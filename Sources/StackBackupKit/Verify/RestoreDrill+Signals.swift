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

/// SIGINT and SIGTERM handed to a closure while installed (a dispatch source,
/// so the handler may take locks); the previous dispositions come back on `remove()`.
final class DrillSignalTrap {
    private var sources: [DispatchSourceSignal] = []
    private var previous: [(Int32, sig_t?)] = []

    init(_ handler: @escaping @Sendable (Int32) -> Void) {
        for signalNumber in [SIGINT, SIGTERM] {
            previous.append((signalNumber, signal(signalNumber, SIG_IGN)))
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { handler(signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    func remove() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for (signalNumber, handler) in previous { _ = signal(signalNumber, handler) }
        previous.removeAll()
    }

    deinit { remove() }
}
