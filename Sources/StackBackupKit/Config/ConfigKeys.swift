/// The keys of each config section. Each enum drives its section's parsing (a switch
/// with no `default:`, so a new key without a case does not compile), its allowed list
/// and "did you mean", and the README's key table (`ConfigKeysTests` compares the two).
/// Case order is the order of the allowed lists and the table.
enum ConfigKeys {
    enum Top: String, CaseIterable {
        case repository
        case passwordFile = "password_file"
        case postgres, volumes, retention
        case pruneEvery = "prune_every"
        case statusFile = "status_file"
        case metricsFile = "metrics_file"
        case hooks, maintenance
        case drillDay = "drill_day"
        case offsite
        case s3AccessKeyFile = "s3_access_key_file"
        case s3SecretKeyFile = "s3_secret_key_file"
    }

    enum Volume: String, CaseIterable {
        case path, exclude, keep, app, sqlite
        case oneFileSystem = "one_file_system"
        case maxAge = "max_age"
    }

    /// A server: `postgres:` itself, or one `- name: …` entry of its list form (only that form allows `name`).
    enum Server: String, CaseIterable {
        case name, host, port, user, dbname
        case passwordFile = "password_file"
        case sslmode
        case connectTimeout = "connect_timeout"
        case databases, jobs
        case pgDump = "pg_dump"
        case pgRestore = "pg_restore"
        case lockTimeout = "lock_timeout"
        case maxAge = "max_age"
    }

    /// A `{name: DB, source: SOURCE}` entry of `databases:`.
    enum DatabaseEntry: String, CaseIterable {
        case name, source
        case maxAge = "max_age"
    }

    enum Hooks: String, CaseIterable {
        case healthcheckURL = "healthcheck_url"
    }

    enum Maintenance: String, CaseIterable {
        case analyze, vacuum
        case reindexInvalid = "reindex_invalid"
        case check
    }

    enum Offsite: String, CaseIterable {
        case repository
        case passwordFile = "password_file"
        case retention
        case s3AccessKeyFile = "s3_access_key_file"
        case s3SecretKeyFile = "s3_secret_key_file"
    }

    /// Every section as the README's table names it, with its keys.
    static let sections: [(section: String, keys: [String])] = [
        ("top level", Top.allCases.map(\.rawValue)),
        ("volumes.NAME", Volume.allCases.map(\.rawValue)),
        ("postgres", Server.allCases.map(\.rawValue)),
        ("postgres databases entry", DatabaseEntry.allCases.map(\.rawValue)),
        ("hooks", Hooks.allCases.map(\.rawValue)),
        ("maintenance", Maintenance.allCases.map(\.rawValue)),
        ("offsite", Offsite.allCases.map(\.rawValue)),
    ]
}
