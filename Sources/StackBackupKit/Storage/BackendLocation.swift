import Foundation

/// A repository location as written in the config or on the command line:
/// `/path` or `local:/path` for a folder, `s3:https://host[:port]/bucket[/prefix]`
/// (or `s3:http://…` for a store on a trusted network) for an object store.
public enum BackendLocation: Sendable, Equatable {
    case local(path: String)
    case s3(S3Location)

    /// Parses a location; throws `RepositoryError(.invalidArgument)` naming what is wrong.
    public static func parse(_ s: String) throws -> BackendLocation {
        let text = s.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("s3:") { return .s3(try parseS3(String(text.dropFirst(3)), original: s)) }
        let path = text.hasPrefix("local:") ? String(text.dropFirst(6)) : text
        guard !path.isEmpty else {
            throw RepositoryError(.invalidArgument, "the repository location is empty: give a folder such as /srv/backup or s3:https://host/bucket")
        }
        guard path.hasPrefix("/") || path.hasPrefix(".") || !path.contains(":") else {
            throw RepositoryError(.invalidArgument, "unknown repository location \(s): use a folder path, local:/path or s3:https://host/bucket/prefix")
        }
        return .local(path: path)
    }

    private static func parseS3(_ url: String, original: String) throws -> S3Location {
        func bad(_ why: String) -> RepositoryError {
            RepositoryError(.invalidArgument, "invalid S3 repository \(original): \(why); write it as s3:https://host[:port]/bucket[/prefix]")
        }
        let useTLS: Bool
        let rest: Substring
        if url.hasPrefix("https://") {
            useTLS = true
            rest = url.dropFirst(8)
        } else if url.hasPrefix("http://") {
            useTLS = false
            rest = url.dropFirst(7)
        } else {
            throw bad("it must start with s3:https:// or s3:http://")
        }
        guard !rest.contains("@") else { throw bad("credentials do not belong in the URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") }
        guard !rest.contains("?") && !rest.contains("#") else { throw bad("it must not have a query or fragment") }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let authority = parts.first, !authority.isEmpty else { throw bad("the host is missing") }
        guard parts.count >= 2 else { throw bad("the bucket is missing") }

        var host = authority
        var port: Int? = nil
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw bad("unclosed [ in the host") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else { throw bad("the port is not a number") }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]) else { throw bad("the port is not a number") }
            port = p
        }
        if let p = port, !(1...65535).contains(p) { throw bad("the port \(p) is out of range") }
        guard !host.isEmpty else { throw bad("the host is missing") }
        let bucket = parts[1]
        guard bucket.count >= 3, bucket.count <= 63,
              bucket.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }) else {
            throw bad("\(bucket) is not a valid bucket name (3-63 lower-case letters, digits, - and .)")
        }
        let prefix = parts.dropFirst(2).joined(separator: "/")
        return S3Location(host: host, port: port, bucket: bucket, prefix: prefix, useTLS: useTLS)
    }

    /// The backend for this location. S3 credentials come from `credentials`
    /// when given (e.g. key files named in the config), else from
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`;
    /// region and addressing from `AWS_DEFAULT_REGION` and `S3_FORCE_VIRTUAL_HOST`.
    public func makeBackend(environment: [String: String] = ProcessInfo.processInfo.environment,
                            credentials: S3Credentials? = nil) throws -> Backend {
        switch self {
        case .local(let path):
            return LocalBackend(path: path)
        case .s3(let location):
            let creds = try credentials ?? S3Credentials.fromEnvironment(environment)
            return S3Backend(location: location, credentials: creds, options: .fromEnvironment(environment))
        }
    }

    /// The location as text (`s3:https://…` or the folder path).
    public var description: String {
        switch self {
        case .local(let path): path
        case .s3(let location): location.description
        }
    }
}
