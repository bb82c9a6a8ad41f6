/// Stored data does not match what it claims to be: a file whose SHA-256 is
/// not its name, a blob whose MAC or id does not verify, a malformed header.
/// Kept apart from configuration and I/O errors because it means damage.
public struct IntegrityError: Error, CustomStringConvertible, Sendable {
    public let object: String
    public let problem: String

    public init(object: String, problem: String) {
        self.object = object
        self.problem = problem
    }

    public var description: String {
        "integrity damage in \(object): \(problem); run `stackbackup verify --read-data` to list what is affected"
    }
}

/// Repository-level failures a user can act on.
public struct RepositoryError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        case noRepository
        case notEmpty
        case wrongPassphrase
        case unsupportedVersion
        case locked
        case notFound
        case ambiguous
        case invalidArgument
        case other
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
