// Storage: where repository files live. A `Backend` knows nothing of
// encryption or formats; it stores immutable named files atomically.
// `LocalBackend` is a folder; `MemoryBackend` serves tests. An object-store
// backend implements the same contract (see `BackendContract` in tests).

import Foundation

/// A place that stores repository files.
///
/// Contract (every implementation):
/// - `save` is atomic: a reader sees the whole file or no file, also after a crash.
///   It never replaces an existing file: it throws `BackendError.alreadyExists`.
///   When `save` returns, the file is durable.
/// - `load` returns exactly the stored bytes, or throws `.notFound`.
/// - `list` returns every file of a kind with its size, in no particular order.
/// - `remove` of a missing file throws `.notFound`.
/// - Implementations are safe to call from several threads at once.
public protocol Backend: Sendable {
    /// Where it is, for messages (a path or URL without credentials).
    var location: String { get }
    /// Whether the repository's `config` file exists.
    func exists(_ handle: Handle) throws -> Bool
    func save(_ handle: Handle, _ bytes: [UInt8]) throws
    func load(_ handle: Handle) throws -> [UInt8]
    func load(_ handle: Handle, offset: Int, length: Int) throws -> [UInt8]
    func size(_ handle: Handle) throws -> Int
    func list(_ kind: FileKind) throws -> [(name: String, size: Int)]
    func remove(_ handle: Handle) throws
    /// How many requests are worth having in flight at once. A local disk is
    /// served best by about one reader per core; an object store hides its
    /// per-request latency behind more.
    var preferredConcurrency: Int { get }

    // What `Repository` needs of a location beyond its files, so it never names a
    // concrete backend; defaults (Backend+Location.swift) fit a flat object store.

    /// True when `createRepositoryLayout()` makes the location and itself refuses one
    /// that holds anything (a folder); otherwise `Repository` lists every kind to check.
    var createsRepositoryLayout: Bool { get }
    /// Creates the location and layout for a new repository (LocalBackend: the folder and
    /// its 256 pack folders, refusing a non-empty folder). Default: nothing to create.
    func createRepositoryLayout() throws
    /// Creates a location that a listing found missing (`missing`, a `.notFound`): S3 creates
    /// the bucket. Default: rethrows `missing`.
    func createMissingLocation(after missing: BackendError) throws
    /// Files interrupted saves left behind (LocalBackend's temp files). Default: none.
    func temporaryFiles() throws -> [TemporaryFile]
    /// Removes one file `temporaryFiles()` listed; one already gone is not an error.
    func removeTemporaryFile(_ file: TemporaryFile) throws
}

extension Backend {
    public var preferredConcurrency: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// A storage failure. `isRetryable` says whether trying again can help.
public struct BackendError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        case notFound
        case alreadyExists
        case permissionDenied
        case io
        case shortRead
    }

    public let code: Code
    public let path: String
    public let reason: String

    public init(_ code: Code, path: String, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public var isRetryable: Bool { code == .io }

    public var description: String {
        switch code {
        case .notFound: "\(path) does not exist"
        case .alreadyExists: "\(path) already exists; repository files are never overwritten"
        case .permissionDenied: "no permission to access \(path): \(reason); run as a user who may read and write the repository"
        case .io: "I/O error on \(path): \(reason)"
        case .shortRead: "\(path) is shorter than expected: \(reason); the file is truncated, run `stackbackup verify`"
        }
    }
}
