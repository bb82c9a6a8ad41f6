#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a recursion over a snapshot tree or a folder (one frame per folder
/// level) on a thread with a large stack, so a tree thousands of folders deep
/// does not overflow the caller's 8 MiB (or a worker's 1 MiB). The stack is
/// reserved address space; only what the recursion touches becomes memory.
enum DeepStack {
    /// Enough for `maxDepth` frames of the largest recursion (the walker) in a debug build.
    static let stackSize = 512 << 20
    /// Deeper trees are refused (restore, ls, diff) or skipped with a warning (backup).
    static let maxDepth = 20_000

    /// Calls `body` on a new thread with `stackSize` and waits for it.
    static func run<T>(_ body: () throws -> T) throws -> T {
        var result: Result<T, Error>?
        onLargeStack { result = Result { try body() } }
        return try result!.get()
    }

    static func run<T>(_ body: () -> T) -> T {
        var result: T?
        onLargeStack { result = body() }
        return result!
    }

    /// On the current thread when no such thread can be created (address space limits).
    private static func onLargeStack(_ body: () -> Void) {
        withoutActuallyEscaping(body) { body in
            let call = Call(body)
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            pthread_attr_setstacksize(&attributes, stackSize)
            var thread = pthread_t()
            // The thread only borrows `call`: this frame waits for it in pthread_join.
            let context = Unmanaged.passUnretained(call).toOpaque()
            let rc = pthread_create(&thread, &attributes, { context in
                Unmanaged<Call>.fromOpaque(context!).takeUnretainedValue().body()
                return nil
            }, context)
            guard rc == 0 else { return body() }
            pthread_join(thread, nil)
        }
    }

    private final class Call {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
}
