// Config/ owns the YAML config file: locating it, parsing it with the line of
// every mistake in the error (ConfigurationError), the YAML form of retention
// policies, and `config check` (ConfigCheck), which looks at the machine and
// at what a restore of the stack would need.

import Foundation

/// The operator's config file, parsed. Every field is optional so that every
/// command also works from flags alone; `StackConfig()` is the empty config.
/// Relative paths in the file are resolved against the file's folder.
public struct StackConfig: Sendable {
    public static let defaultPath = "/etc/stackbackup/config.yml"
    public static let environmentVariable = "STACKBACKUP_CONFIG"

    /// The file this config was read from ("" for a config built in code).
    public var file: String
    /// A local path, or a URL-like location ("s3:…") kept as written.
    public var repository: String?
    public var passwordFile: String?
    /// The PostgreSQL servers, in file order: one (named `default`) for the
    /// single-mapping form of `postgres:` and for flags-only use (`StackConfig()`),
    /// one per entry of its list form, none for `postgres: []` and for a
    /// config file without a `postgres:` section (it backs up no database).
    public var servers: [PostgresSettings]
    /// In file order.
    public var volumes: [VolumeSettings]
    public var retention: RetentionPolicySet?
    /// The policy file `retention: {policy: …}` named, resolved; nil when inline or absent.
    public var retentionFile: String?
    /// Seconds between two prunes run by `stackbackup run`.
    public var pruneEvery: TimeInterval?
    /// The weekday (1 = Sunday, as Calendar counts) on which `run` drills one
    /// database restore, rotating through the databases; nil = never.
    public var drillWeekday: Int?
    public var statusFile: String?
    public var metricsFile: String?
    public var hooks: HookSettings
    public var maintenance: MaintenanceSettings
    /// A second repository that `run` copies each night's snapshots to.
    public var offsite: OffsiteSettings?
    /// Files holding the S3 key id and secret for an `s3:` repository (else the AWS_* environment).
    public var s3AccessKeyFile: String?
    public var s3SecretKeyFile: String?
    /// Line of each setting, keyed "repository", "volumes.NAME", "volumes.NAME.path", …
    public internal(set) var lines: [String: Int]
    /// `postgres:` was written as a list of servers: their settings' lines are
    /// keyed "postgres.NAME.KEY" instead of "postgres.KEY" (see `lineKey`).
    public internal(set) var serverListForm: Bool

    public init(
        file: String = "", repository: String? = nil, passwordFile: String? = nil,
        servers: [PostgresSettings] = [PostgresSettings()], volumes: [VolumeSettings] = [],
        retention: RetentionPolicySet? = nil, pruneEvery: TimeInterval? = nil,
        statusFile: String? = nil, metricsFile: String? = nil,
        hooks: HookSettings = HookSettings(), maintenance: MaintenanceSettings = MaintenanceSettings()
    ) {
        self.file = file
        self.repository = repository
        self.passwordFile = passwordFile
        self.servers = servers
        self.volumes = volumes
        self.retention = retention
        self.retentionFile = nil
        self.pruneEvery = pruneEvery
        self.statusFile = statusFile
        self.metricsFile = metricsFile
        self.hooks = hooks
        self.maintenance = maintenance
        self.lines = [:]
        self.serverListForm = false
    }

    public func volume(named name: String) -> VolumeSettings? {
        volumes.first { $0.name == name }
    }

    /// Which config file to use: the `--config` flag, else `$STACKBACKUP_CONFIG`,
    /// else /etc/stackbackup/config.yml when it exists; nil means "no config".
    public static func locate(flag: String?, environment: [String: String]) -> String? {
        locate(flag: flag, environment: environment, defaultPath: defaultPath)
    }

    static func locate(flag: String?, environment: [String: String], defaultPath: String) -> String? {
        if let flag, !flag.isEmpty { return flag }
        if let env = environment[environmentVariable], !env.isEmpty { return env }
        return FileManager.default.fileExists(atPath: defaultPath) ? defaultPath : nil
    }

    /// Reads and parses the file at `path` (and the retention policy file it names).
    /// The error thrown lists every mistake of the file (`ConfigurationError.others`).
    public static func load(path: String) throws -> StackConfig {
        try ConfigParser(file: path).parse(try text(path: path))
    }

    /// The file at `path` parsed as far as it can be, and every mistake found
    /// (none when it can be used); a setting with a mistake keeps its default.
    /// For `config check`, which goes on to look at the machine.
    public static func loadCollecting(path: String) -> (config: StackConfig, errors: [ConfigurationError]) {
        do {
            let (config, errors) = ConfigParser(file: path).parseCollecting(try text(path: path))
            return (config, errors)
        } catch let error as ConfigurationError {
            var empty = StackConfig(file: path)
            empty.servers = []
            return (empty, error.all)
        } catch {
            return (StackConfig(file: path, servers: []), [ConfigurationError(file: path, line: nil, message: "\(error)")])
        }
    }

    private static func text(path: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ConfigurationError(file: path, line: nil,
                                     message: "no such config file; pass --config PATH or set \(environmentVariable)")
        }
        guard !isFolder.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, line: nil,
                                     message: "cannot read the config file; check that it is a readable file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, line: nil, message: "the config file is not UTF-8 text")
        }
        return text
    }

    /// Parses config YAML. `file` names the source in errors and is the base
    /// for relative paths (a policy file named by `retention: {policy: …}` is read).
    public static func parse(yaml: String, file: String) throws -> StackConfig {
        try ConfigParser(file: file).parse(yaml)
    }
}
