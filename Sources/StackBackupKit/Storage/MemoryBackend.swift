import Foundation

/// A backend in memory, for tests and dry runs. Thread-safe.
public final class MemoryBackend: Backend, @unchecked Sendable {
    private let lock = NSLock()
    private var files: [Handle: [UInt8]] = [:]

    public init() {}

    public var location: String { "memory:" }

    public func exists(_ handle: Handle) throws -> Bool {
        lock.withLock { files[handle] != nil }
    }

    public func save(_ handle: Handle, _ bytes: [UInt8]) throws {
        try lock.withLock {
            guard files[handle] == nil else {
                throw BackendError(.alreadyExists, path: handle.relativePath, reason: "exists")
            }
            files[handle] = bytes
        }
    }

    public func load(_ handle: Handle) throws -> [UInt8] {
        try lock.withLock {
            guard let bytes = files[handle] else {
                throw BackendError(.notFound, path: handle.relativePath, reason: "missing")
            }
            return bytes
        }
    }

    public func load(_ handle: Handle, offset: Int, length: Int) throws -> [UInt8] {
        let bytes = try load(handle)
        guard offset >= 0, length >= 0, offset + length <= bytes.count else {
            throw BackendError(.shortRead, path: handle.relativePath,
                               reason: "wanted \(length) bytes at \(offset) of \(bytes.count)")
        }
        return Array(bytes[offset..<offset + length])
    }

    public func size(_ handle: Handle) throws -> Int { try load(handle).count }

    public func list(_ kind: FileKind) throws -> [(name: String, size: Int)] {
        lock.withLock { files.filter { $0.key.kind == kind }.map { ($0.key.name, $0.value.count) } }
    }

    public func remove(_ handle: Handle) throws {
        try lock.withLock {
            guard files.removeValue(forKey: handle) != nil else {
                throw BackendError(.notFound, path: handle.relativePath, reason: "missing")
            }
        }
    }

    /// Replaces a stored file's bytes, for tests that simulate damage.
    public func corrupt(_ handle: Handle, _ change: (inout [UInt8]) -> Void) {
        lock.withLock {
            if var bytes = files[handle] {
                change(&bytes)
                files[handle] = bytes
            }
        }
    }
}
