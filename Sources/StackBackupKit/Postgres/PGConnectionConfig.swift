import Foundation

/// Where and how to connect to PostgreSQL. A `nil` field is left out of the
/// connection parameters, so libpq applies its own default: the `PG*`
/// environment variables, `~/.pgpass`, the local socket.
///
/// The password is never stored here: `passwordFile` names a file whose first
/// line is the password, read only while connecting.
public struct PGConnectionConfig: Sendable, Codable, Equatable {
    public var host: String?
    public var port: Int?
    public var user: String?
    public var database: String?
    /// A file holding the password (first line). Not a pgpass file.
    public var passwordFile: String?
    public var sslMode: String?
    /// Seconds libpq waits for each connection attempt.
    public var connectTimeout: Int?
    public var applicationName: String = "stackbackup"

    public init(
        host: String? = nil, port: Int? = nil, user: String? = nil, database: String? = nil,
        passwordFile: String? = nil, sslMode: String? = nil, connectTimeout: Int? = nil,
        applicationName: String = "stackbackup"
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.passwordFile = passwordFile
        self.sslMode = sslMode
        self.connectTimeout = connectTimeout
        self.applicationName = applicationName
    }

    /// The settings of the usual `PG*` variables (`PGHOST`, `PGPORT`, `PGUSER`,
    /// `PGDATABASE`, `PGSSLMODE`, `PGCONNECT_TIMEOUT`), each `nil` when unset,
    /// so messages can name the server. `PGPASSWORD` and `PGPASSFILE` are left to libpq.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> PGConnectionConfig {
        func value(_ name: String) -> String? {
            guard let v = environment[name], !v.isEmpty else { return nil }
            return v
        }
        return PGConnectionConfig(
            host: value("PGHOST"),
            port: value("PGPORT").flatMap { Int($0) },
            user: value("PGUSER"),
            database: value("PGDATABASE"),
            sslMode: value("PGSSLMODE"),
            connectTimeout: value("PGCONNECT_TIMEOUT").flatMap { Int($0) }
        )
    }

    /// The same settings for another database of the same server.
    public func withDatabase(_ name: String) -> PGConnectionConfig {
        var copy = self
        copy.database = name
        return copy
    }

    /// `host:port/database` for messages; never contains a password.
    public var displayName: String {
        let h = host ?? "localhost"
        let p = port.map(String.init) ?? "5432"
        let d = database ?? user ?? "default"
        return "\(h):\(p)/\(d)"
    }
}
