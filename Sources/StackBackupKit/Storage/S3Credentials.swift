import Foundation

/// The key pair (and optional session token) an S3 backend signs with.
///
/// Comes from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`) or from files named in the config — never from the
/// command line. The secret lives in `SecretBytes` (zeroed on release) and
/// never appears in a description.
public struct S3Credentials: Sendable, CustomStringConvertible {
    public let accessKeyID: String
    public let secretAccessKey: SecretBytes
    public let sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = SecretBytes(Array(secretAccessKey.utf8))
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Reads the key id and the secret from two files (first line of each,
    /// surrounding whitespace dropped), e.g. systemd credentials.
    public init(accessKeyFile: String, secretKeyFile: String, sessionTokenFile: String? = nil) throws {
        let id = try Self.readFirstLine(accessKeyFile, what: "access key id")
        let secret = try Self.readFirstLine(secretKeyFile, what: "secret access key")
        let token = try sessionTokenFile.map { try Self.readFirstLine($0, what: "session token") }
        self.init(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }

    /// From `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`.
    public static func fromEnvironment(_ environment: [String: String]) throws -> S3Credentials {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
              let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw RepositoryError(.invalidArgument,
                                  "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or point the config at key files")
        }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"])
    }

    public var description: String { "S3Credentials(\(accessKeyID), secret redacted)" }

    private static func readFirstLine(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RepositoryError(.invalidArgument, "cannot read the S3 \(what) file \(path): check that it exists and is readable")
        }
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw RepositoryError(.invalidArgument, "the S3 \(what) file \(path) is empty: write the \(what) on its first line")
        }
        return trimmed
    }
}
