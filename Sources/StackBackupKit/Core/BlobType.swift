/// What a blob holds. The raw value is stored in pack headers: never renumber.
public enum BlobType: UInt8, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// A chunk of file content or of a database COPY stream.
    case data = 0
    /// A directory listing (JSON `Tree`).
    case tree = 1
    /// A database manifest (JSON), the root of a `postgres` or `globals` snapshot.
    case manifest = 2

    public var description: String {
        switch self {
        case .data: "data"
        case .tree: "tree"
        case .manifest: "manifest"
        }
    }
}

/// The kinds of repository files, each in its own folder.
public enum FileKind: String, Codable, Sendable, CaseIterable {
    case config
    case key = "keys"
    case pack = "data"
    case index
    case snapshot = "snapshots"
    case lock = "locks"

    /// Files of these kinds are named by the SHA-256 of their bytes.
    public var isContentAddressed: Bool {
        switch self {
        case .config, .key: false
        case .pack, .index, .snapshot, .lock: true
        }
    }

    /// The HKDF info label that separates per-file keys of different kinds.
    public var keyLabel: String { "stackbackup v1 " + rawValue }
}
