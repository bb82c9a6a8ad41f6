import Foundation

extension PostgresSettings {
    /// The admin connection, optionally to another database.
    public func connectionConfig(database: String? = nil) -> PGConnectionConfig {
        var config = PGConnectionConfig.fromEnvironment()
        if let host { config.host = host }
        if let port { config.port = port }
        if let user { config.user = user }
        config.database = database ?? dbname
        if let passwordFile { config.passwordFile = passwordFile }
        if let sslMode { config.sslMode = sslMode }
        config.connectTimeout = connectTimeout
        return config
    }
}
