/// A config or policy file that cannot be used as written: names the file and
/// (when known) the line, says what is wrong and, where it can, what was meant.
/// Always permanent: rerunning does not help, editing the file does.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var line: Int?
    public var message: String
    /// The file's further mistakes, in file order: the parser goes on after
    /// one, so a single edit round can fix them all.
    public var others: [ConfigurationError]

    public init(file: String, line: Int?, message: String, others: [ConfigurationError] = []) {
        self.file = file
        self.line = line
        self.message = message
        self.others = others
    }

    /// This mistake and the others, each on its own.
    public var all: [ConfigurationError] {
        var first = self
        first.others = []
        return [first] + others
    }

    /// "config.yml:12: unknown key 'volumse' under the top level (did you mean 'volumes'?)",
    /// one line per mistake.
    public var description: String {
        all.map { error in
            if let line = error.line { return "\(error.file):\(line): \(error.message)" }
            return "\(error.file): \(error.message)"
        }.joined(separator: "\n")
    }
}

/// The mistakes found so far while parsing one file. The parser records a
/// mistake here and goes on with the next key; it lives for one parse, on one thread.
final class ConfigProblems {
    private(set) var errors: [ConfigurationError] = []

    func record(_ error: ConfigurationError) {
        errors.append(contentsOf: error.all)
    }

    /// Runs one part of the parse; a `ConfigurationError` is recorded and
    /// `fallback` returned instead, so the rest of the file is still read.
    func collecting<T>(_ fallback: @autoclosure () -> T, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ConfigurationError {
            record(error)
            return fallback()
        }
    }

    /// The recorded mistakes as one error (ordered by line), or nil.
    var combined: ConfigurationError? {
        let sorted = errors.enumerated().sorted { a, b in
            (a.element.line ?? Int.max, a.offset) < (b.element.line ?? Int.max, b.offset)
        }.map(\.element)
        guard var first = sorted.first else { return nil }
        first.others = Array(sorted.dropFirst())
        return first
    }
}
