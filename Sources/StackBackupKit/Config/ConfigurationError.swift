/// A config or policy file that cannot be used as written: names the file and
/// (when known) the line, says what is wrong and, where it can, what was meant.
/// Always permanent: rerunning does not help, editing the file does.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// "config.yml:12: unknown key 'volumse' under the top level (did you mean 'volumes'?)"
    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
