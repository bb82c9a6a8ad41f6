/// Names one repository file: its kind (folder) and its name.
public struct Handle: Hashable, Sendable, CustomStringConvertible {
    public let kind: FileKind
    public let name: String

    public init(_ kind: FileKind, _ name: String) {
        self.kind = kind
        self.name = name
    }

    public init(_ kind: FileKind, _ id: ObjectID) {
        self.init(kind, id.hex)
    }

    /// The path inside the repository: packs are spread over 256 folders.
    public var relativePath: String {
        switch kind {
        case .config: "config"
        case .pack: "data/\(name.prefix(2))/\(name)"
        default: "\(kind.rawValue)/\(name)"
        }
    }

    public var description: String { relativePath }
}
