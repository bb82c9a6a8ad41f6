/// Where an S3 repository lives: `s3:https://host[:port]/bucket[/prefix]`.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    /// Host name or address, without port.
    public var host: String
    /// The port when the URL names one (nil: 443 for https, 80 for http).
    public var port: Int?
    public var bucket: String
    /// Key prefix without leading or trailing `/`; empty for the bucket root.
    public var prefix: String
    public var useTLS: Bool

    public init(host: String, port: Int? = nil, bucket: String, prefix: String = "", useTLS: Bool = true) {
        self.host = host
        self.port = port
        self.bucket = bucket
        self.prefix = prefix
        self.useTLS = useTLS
    }

    /// `https://host[:port]` (the port only when it is not the scheme's default).
    public var endpoint: String {
        "\(useTLS ? "https" : "http")://\(hostHeader(for: host))"
    }

    /// The Host header: host, plus `:port` unless it is the scheme's default.
    func hostHeader(for name: String) -> String {
        let bracketed = name.contains(":") ? "[\(name)]" : name
        guard let port, port != (useTLS ? 443 : 80) else { return bracketed }
        return "\(bracketed):\(port)"
    }

    /// The S3 key of a repository file.
    public func key(_ relativePath: String) -> String {
        prefix.isEmpty ? relativePath : prefix + "/" + relativePath
    }

    /// The repository as the user wrote it (never with credentials).
    public var description: String {
        "s3:\(endpoint)/\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)")
    }
}
