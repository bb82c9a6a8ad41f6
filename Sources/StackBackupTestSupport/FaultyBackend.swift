import Foundation
import StackBackupKit

/// A backend decorator that fails chosen calls, after kopia's
/// `blobtesting/faulty.go`: it counts the calls of the chosen operations and
/// makes the Nth one throw `BackendError(.io)`. In `crash` mode every call
/// after that fails too, as if the process had been killed at that point
/// (nothing it would have done afterwards reaches storage). Thread-safe.
public final class FaultyBackend: Backend, @unchecked Sendable {
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case save, load, list, remove
    }

    public let base: Backend
    private let mutex = NSLock()
    private var operations: Set<Operation> = []
    private var failAt: Int?
    private var crash = false
    private var crashed = false
    private var calls = 0
    /// Which call failed: "save index/…".
    public private(set) var failedCall: String?

    public init(_ base: Backend) { self.base = base }

    /// Makes call number `n` (1-based) of `operations` fail; with `crash`, every later call fails as well.
    public func fail(call n: Int, of operations: Set<Operation>, crash: Bool = true) {
        mutex.withLock {
            self.operations = operations
            failAt = n
            self.crash = crash
            crashed = false
            calls = 0
            failedCall = nil
        }
    }

    /// Counts calls of `operations` without failing (to learn how many a run makes).
    public func count(_ operations: Set<Operation>) {
        mutex.withLock {
            self.operations = operations
            failAt = nil
            crashed = false
            calls = 0
            failedCall = nil
        }
    }

    /// Calls counted since the last `fail`/`count`.
    public var callCount: Int { mutex.withLock { calls } }
    public var hasFailed: Bool { mutex.withLock { failedCall != nil } }

    private func check(_ operation: Operation, _ path: String) throws {
        try mutex.withLock {
            if crashed { throw BackendError(.io, path: path, reason: "injected failure (after crash)") }
            guard operations.contains(operation) else { return }
            calls += 1
            if let failAt, calls == failAt {
                failedCall = "\(operation.rawValue) \(path)"
                crashed = crash
                throw BackendError(.io, path: path, reason: "injected failure of \(operation.rawValue) call \(calls)")
            }
        }
    }

    public var location: String { base.location }

    public func exists(_ handle: Handle) throws -> Bool {
        try check(.load, handle.relativePath)
        return try base.exists(handle)
    }

    public func save(_ handle: Handle, _ bytes: [UInt8]) throws {
        try check(.save, handle.relativePath)
        try base.save(handle, bytes)
    }

    public func load(_ handle: Handle) throws -> [UInt8] {
        try check(.load, handle.relativePath)
        return try base.load(handle)
    }

    public func load(_ handle: Handle, offset: Int, length: Int) throws -> [UInt8] {
        try check(.load, handle.relativePath)
        return try base.load(handle, offset: offset, length: length)
    }

    public func size(_ handle: Handle) throws -> Int {
        try check(.load, handle.relativePath)
        return try base.size(handle)
    }

    public func list(_ kind: FileKind) throws -> [(name: String, size: Int)] {
        try check(.list, kind.rawValue)
        return try base.list(kind)
    }

    public func remove(_ handle: Handle) throws {
        try check(.remove, handle.relativePath)
        try base.remove(handle)
    }
}

extension MemoryBackend {
    /// A copy of every file, for tests that damage or interrupt one copy.
    public func copy() throws -> MemoryBackend {
        let other = MemoryBackend()
        for kind in FileKind.allCases {
            for (name, _) in try list(kind) {
                let handle = Handle(kind, name)
                try other.save(handle, load(handle))
            }
        }
        return other
    }
}
