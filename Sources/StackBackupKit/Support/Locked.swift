import Synchronization

/// A `Mutex` shared by reference: a `Mutex` stored in a non-Sendable object cannot
/// be handed to a `ThreadPool`'s workers without the object, nor copied out of it.
final class Locked<State>: Sendable {
    private let mutex: Mutex<State>

    init(_ state: sending State) { mutex = Mutex(state) }

    func withLock<T, E: Error>(_ body: (inout sending State) throws(E) -> sending T) throws(E) -> sending T {
        try mutex.withLock(body)
    }
}
