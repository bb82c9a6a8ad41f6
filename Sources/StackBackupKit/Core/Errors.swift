/// Stored data does not match what it claims to be: a file whose SHA-256 is
/// not its name, a blob whose MAC or id does not verify, a malformed header.
/// Kept apart from configuration and I/O errors because it means damage.
public struct IntegrityError: Error, CustomStringConvertible, Sendable {
    public let object: String
    public let problem: String

    public init(object: String, problem: String) {
        self.object = IntegrityError.oneLine(object)
        self.problem = IntegrityError.oneLine(problem)
    }

    /// Damaged or hostile data reaches these messages (a name, an id, a decoder's
    /// quote of the input): control characters are escaped, so a message stays
    /// one line and cannot drive the terminal.
    static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
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
