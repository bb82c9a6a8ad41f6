import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Catches SIGINT and SIGTERM while installed and hands them to a closure (a
/// dispatch source, so the handler may take locks: it runs outside signal
/// context). The previous dispositions come back on `remove()`. The
/// executable installs one for its whole life and turns signals into its
/// `Cancellation`; library code does not trap signals itself.
public final class SignalTrap {
    private var sources: [DispatchSourceSignal] = []
    private var previous: [(Int32, sig_t?)] = []

    public init(_ handler: @escaping @Sendable (Int32) -> Void) {
        for signalNumber in [SIGINT, SIGTERM] {
            previous.append((signalNumber, signal(signalNumber, SIG_IGN)))
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { handler(signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    public func remove() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for (signalNumber, handler) in previous { _ = signal(signalNumber, handler) }
        previous.removeAll()
    }

    deinit { remove() }
}
