import Foundation

/// A source the config backs up, as `run` names it in the status file and
/// metrics, with how old its last success may be before it counts as stale.
public struct ConfiguredSource: Sendable, Equatable {
    public var name: String
    /// "globals", "postgres" or "volume", as in the status file.
    public var kind: String
    public var maxAge: TimeInterval

    public init(name: String, kind: String, maxAge: TimeInterval) {
        self.name = name
        self.kind = kind
        self.maxAge = maxAge
    }
}

extension StackConfig {
    /// The default `max_age:`: the nightly timer's day plus its 30 min random
    /// delay and a long run, so one late night is not an alarm but a missed one is.
    public static let nightlyMaxAge: TimeInterval = 26 * 3_600

    /// Every source `run` backs up, in its order: per server its roles and
    /// databases, then the volumes.
    public var configuredSources: [ConfiguredSource] {
        var sources: [ConfiguredSource] = []
        for server in servers where !server.databases.isEmpty {
            let serverAge = server.maxAge ?? Self.nightlyMaxAge
            sources.append(ConfiguredSource(name: server.globalsSource, kind: SourceKind.globals.rawValue, maxAge: serverAge))
            for database in server.databases {
                sources.append(ConfiguredSource(name: server.source(of: database), kind: SourceKind.postgres.rawValue,
                                                maxAge: server.databaseMaxAges[database] ?? serverAge))
            }
        }
        for volume in volumes {
            sources.append(ConfiguredSource(name: volume.name, kind: SourceKind.volume.rawValue, maxAge: volume.maxAge ?? Self.nightlyMaxAge))
        }
        return sources
    }
}
