import Foundation

/// A file an interrupted save left in the repository's location (LocalBackend's
/// `.tmp-` files: whole or partial, never under a final name).
public struct TemporaryFile: Sendable {
    public var path: String
    public var size: Int64
    public var modified: Date

    public init(path: String, size: Int64, modified: Date) {
        self.path = path
        self.size = size
        self.modified = modified
    }
}

extension Backend {
    public var createsRepositoryLayout: Bool { false }
    public func createRepositoryLayout() throws {}
    public func createMissingLocation(after missing: BackendError) throws { throw missing }
    public func temporaryFiles() throws -> [TemporaryFile] { [] }
    public func removeTemporaryFile(_ file: TemporaryFile) throws {}
}
