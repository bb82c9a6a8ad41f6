import Foundation

/// A PostgreSQL failure: connecting, running a statement, or a COPY stream.
///
/// `message` is libpq's primary message; `context` says what was being done
/// ("connecting to 127.0.0.1:5432/umami", "SELECT on …") and never holds a
/// password, a connection string or statement parameters.
public struct PGError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The server could not be reached, refused us, or the connection broke.
        case connection
        /// The server rejected a statement; `sqlState` says why.
        case query
        /// A COPY stream failed.
        case copy
        /// The server answered something this client did not expect.
        case protocolError
        /// The statement was cancelled (SQLSTATE 57014).
        case cancelled
    }

    public let code: Code
    /// The five-character SQLSTATE, when the server sent one.
    public let sqlState: String?
    public let message: String
    public let context: String

    public init(_ code: Code, sqlState: String? = nil, message: String, context: String) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.context = context
    }

    /// Whether trying again later can help: a connection that was refused or
    /// broke, not one whose credentials or database name are wrong.
    public var isRetryable: Bool {
        guard code == .connection else { return false }
        let permanent = ["authentication", "password", "does not exist", "no pg_hba.conf entry"]
        let lower = message.lowercased()
        return !permanent.contains { lower.contains($0) }
    }

    /// The two ways into a PostgreSQL container without a published port (README "PostgreSQL in Docker").
    public static let dockerHint = "for PostgreSQL in Docker without a published port, set `host:` to the container's address on its Docker network (shown by `docker inspect CONTAINER`) or to a socket folder bind-mounted from the container (e.g. `host: /srv/postgres/run`)"

    public var description: String {
        let state = sqlState.map { " [SQLSTATE \($0)]" } ?? ""
        switch code {
        case .connection:
            let docker = isRetryable ? "; \(Self.dockerHint)" : ""
            return "PostgreSQL connection failed while \(context): \(message); check that the server is running and the host, port, user and password settings\(docker)"
        case .query:
            return "PostgreSQL rejected \(context)\(state): \(message)"
        case .copy:
            return "PostgreSQL COPY failed (\(context))\(state): \(message)"
        case .protocolError:
            return "unexpected answer from PostgreSQL (\(context)): \(message)"
        case .cancelled:
            return "PostgreSQL statement cancelled (\(context))\(state): \(message)"
        }
    }
}

extension PGError {
    /// Turns a multi-line libpq message into one trimmed line.
    static func oneLine(_ text: String) -> String {
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return lines.first ?? "no message from libpq"
    }
}

/// The first word of a statement, upper-cased ("SELECT", "COPY"), for error
/// contexts that must not quote the statement itself.
func statementKind(_ sql: String) -> String {
    let trimmed = sql.drop(while: { $0.isWhitespace || $0 == "(" })
    let word = trimmed.prefix(while: { $0.isLetter })
    return word.isEmpty ? "statement" : word.uppercased()
}
