import Foundation
import Yams

/// Builds a `StackConfig` from a composed YAML tree, one section at a time.
/// A mistake is recorded in `problems` and the parse goes on with the next
/// key (or volume, or server setting), so that every mistake is reported at once.
struct ConfigParser {
    let file: String
    let reader: YAMLReader
    let baseFolder: String
    let problems = ConfigProblems()

    init(file: String) {
        self.file = file
        reader = YAMLReader(file: file, problems: problems)
        let folder = (file as NSString).deletingLastPathComponent
        baseFolder = folder.isEmpty ? FileManager.default.currentDirectoryPath : folder
    }

    /// The config and every mistake found (empty when it can be used as written).
    /// A section with a mistake keeps its defaults in the config returned.
    func parseCollecting(_ yaml: String) -> (StackConfig, [ConfigurationError]) {
        var config = StackConfig(file: file)
        // Without a `postgres:` section no database is backed up (flags-only use keeps the defaults).
        config.servers = []
        do {
            try parseTop(yaml, into: &config)
        } catch let error as ConfigurationError {
            problems.record(error)
        } catch {
            problems.record(ConfigurationError(file: file, line: nil, message: "cannot be read: \(error)"))
        }
        return (config, problems.combined?.all ?? [])
    }

    func parse(_ yaml: String) throws -> StackConfig {
        let (config, errors) = parseCollecting(yaml)
        if var first = errors.first {
            first.others = Array(errors.dropFirst())
            throw first
        }
        return config
    }

    private func parseTop(_ yaml: String, into config: inout StackConfig) throws {
        guard let root = try reader.compose(yaml), !reader.isNull(root) else { return }
        let mapping = try reader.mapping(root, "the top level")
        for entry in try reader.entries(mapping, allowed: ConfigKeys.Top.allCases, context: "the top level") {
            try problems.collecting(()) { try parseTopEntry(entry, into: &config) }
        }
        config.retention = config.retention.map { $0.applyingGlobalsOverride(to: config.servers.map(\.globalsSource)) }
    }

    private func parseTopEntry(_ entry: (key: ConfigKeys.Top, keyNode: YAMLNode, value: YAMLNode), into config: inout StackConfig) throws {
        let value = entry.value, key = entry.key.rawValue
        if let line = entry.keyNode.mark?.line { config.lines[entry.key.rawValue] = line }
        switch entry.key {
        case .repository:
            config.repository = try reader.string(value, key).map(resolveLocation)
        case .passwordFile:
            config.passwordFile = try path(value, key)
        case .postgres:
            config.servers = try servers(value, lines: &config.lines, listForm: &config.serverListForm)
        case .volumes:
            config.volumes = try volumes(value, lines: &config.lines)
        case .retention:
            (config.retention, config.retentionFile) = try retention(value, keyNode: entry.keyNode)
        case .pruneEvery:
            config.pruneEvery = try reader.interval(value, key)
            if config.pruneEvery == 0 {
                throw reader.error(value, "'prune_every' must be longer than 0; leave it out to never prune from `run`")
            }
        case .drillDay:
            let day = try reader.string(value, key)?.lowercased()
            let days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
            guard let day, day == "never" || days.contains(day) else {
                throw reader.error(value, "'drill_day' must be a weekday (e.g. sunday) or never")
            }
            config.drillWeekday = days.firstIndex(of: day).map { $0 + 1 }
        case .statusFile:
            config.statusFile = try path(value, key)
        case .metricsFile:
            config.metricsFile = try path(value, key)
        case .hooks:
            config.hooks = try hooks(value)
        case .offsite:
            config.offsite = try offsite(value, keyNode: entry.keyNode, lines: &config.lines)
        case .s3AccessKeyFile:
            config.s3AccessKeyFile = try path(value, key)
        case .s3SecretKeyFile:
            config.s3SecretKeyFile = try path(value, key)
        case .maintenance:
            config.maintenance = try maintenance(value)
        }
    }

    // MARK: Paths

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (baseFolder as NSString).appendingPathComponent(path)
    }

    /// A repository location: a URL-like "scheme:…" stays as written, a path is resolved.
    func resolveLocation(_ text: String) -> String {
        if let colon = text.firstIndex(of: ":"), !text.hasPrefix("/"),
           text[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }), text.distance(from: text.startIndex, to: colon) > 1 {
            return text
        }
        return resolve(text)
    }

    func path(_ node: YAMLNode, _ key: String) throws -> String? {
        guard let text = try reader.string(node, key) else { return nil }
        guard !text.isEmpty else { return nil }
        return resolve(text)
    }

    // MARK: Sections

    func volumes(_ node: YAMLNode, lines: inout [String: Int]) throws -> [VolumeSettings] {
        if reader.isNull(node) { return [] }
        let mapping = try reader.mapping(node, "'volumes'")
        var result: [VolumeSettings] = []
        for (keyNode, value) in mapping {
            if let volume = try problems.collecting(nil, { try self.volume(keyNode, value, lines: &lines) }) ?? nil {
                result.append(volume)
            }
        }
        return result
    }

    /// One entry of `volumes:`; nil when its `path:` has a mistake (recorded already).
    private func volume(_ keyNode: YAMLNode, _ value: YAMLNode, lines: inout [String: Int]) throws -> VolumeSettings? {
        let name = try reader.keyText(keyNode, "'volumes'")
        guard SourceName.isValid(name) else {
            throw reader.error(keyNode, "volume name '\(name)' is not usable; \(SourceName.rule)")
        }
        let keyLine = keyNode.mark?.line
        lines["volumes.\(name)"] = keyLine
        if case .scalar = value {
            guard let path = try path(value, name) else {
                throw reader.error(keyNode, "volume '\(name)' has no path; write `\(name): /path/to/folder` or give it a 'path:'")
            }
            lines["volumes.\(name).path"] = value.mark?.line ?? keyLine
            return VolumeSettings(name: name, path: path)
        }
        let context = "volume '\(name)'"
        let fields = try reader.mapping(value, context)
        var volume = VolumeSettings(name: name, path: "")
        var pathFailed = false
        for entry in try reader.entries(fields, allowed: ConfigKeys.Volume.allCases, context: context) {
            if let line = entry.keyNode.mark?.line { lines["volumes.\(name).\(entry.key.rawValue)"] = line }
            let before = problems.errors.count
            try problems.collecting(()) { try volumeField(entry, of: &volume) }
            if entry.key == .path, problems.errors.count > before { pathFailed = true }
        }
        guard !volume.path.isEmpty else {
            if pathFailed { return nil }
            throw reader.error(keyNode, "volume '\(name)' has no 'path:'; add the folder to back up")
        }
        return volume
    }

    private func volumeField(_ entry: (key: ConfigKeys.Volume, keyNode: YAMLNode, value: YAMLNode), of volume: inout VolumeSettings) throws {
        switch entry.key {
        case .path: volume.path = try path(entry.value, "path") ?? ""
        case .exclude: volume.exclude = try reader.strings(entry.value, "exclude")
        case .keep: volume.keep = try reader.strings(entry.value, "keep")
        case .app:
            let text = try reader.string(entry.value, "app")?.lowercased()
            guard let text, let app = VolumeApp(rawValue: text) else {
                let choices = VolumeApp.allCases.map(\.rawValue).joined(separator: ", ")
                throw reader.error(entry.value, "'app' must be one of \(choices), not '\(text ?? "")'")
            }
            volume.app = app
        case .sqlite: volume.sqlite = try reader.strings(entry.value, "sqlite")
        case .oneFileSystem: volume.oneFileSystem = try reader.bool(entry.value, entry.key.rawValue) ?? false
        case .maxAge: volume.maxAge = try maxAge(entry.value)
        }
    }

    /// A `max_age:` (volume, server, database entry): how old the last success may be before `status` calls it stale.
    func maxAge(_ node: YAMLNode) throws -> TimeInterval? {
        let seconds = try reader.interval(node, "max_age")
        if seconds == 0 {
            throw reader.error(node, "'max_age' must be longer than 0, e.g. 26h or 8d; leave it out for the nightly default (26h)")
        }
        return seconds
    }

    func retention(_ node: YAMLNode, keyNode: YAMLNode) throws -> (RetentionPolicySet?, String?) {
        if reader.isNull(node) { return (nil, nil) }
        let mapping = try reader.mapping(node, "'retention'")
        if let policyNode = mapping["policy"] {
            if mapping.count > 1 {
                throw reader.error(keyNode, "'retention' names a policy file and also has inline rules; keep one of the two")
            }
            guard let relative = try reader.string(policyNode, "policy"), !relative.isEmpty else {
                throw reader.error(policyNode, "'policy' must name a retention policy file, e.g. policies/retention.yml")
            }
            let policyPath = resolve(relative)
            guard FileManager.default.isReadableFile(atPath: policyPath) else {
                throw reader.error(policyNode, "retention policy file \(policyPath) does not exist or is not readable")
            }
            return (try RetentionPolicySet.load(path: policyPath), policyPath)
        }
        let keys = try mapping.keys.map { try reader.keyText($0, "'retention'") }
        if keys.contains(where: { RetentionPolicySet.policyKeys.contains($0) }) {
            // Shorthand: keep_* rules directly under `retention:` are the default policy.
            if keys.contains("default") || keys.contains("sources") {
                throw reader.error(keyNode, "'retention' mixes keep_* rules with 'default:'/'sources:'; move the rules under 'default:'")
            }
            let policy = try RetentionPolicySet.parsePolicy(node, reader: reader, context: "'retention'", at: keyNode)
            return (RetentionPolicySet(default: policy), nil)
        }
        return (try RetentionPolicySet.parse(node, reader: reader, context: "'retention'", extraKeys: ["policy"] + RetentionPolicySet.policyKeys), nil)
    }

    func hooks(_ node: YAMLNode) throws -> HookSettings {
        var hooks = HookSettings()
        if reader.isNull(node) { return hooks }
        let mapping = try reader.mapping(node, "'hooks'")
        for entry in try reader.entries(mapping, allowed: ConfigKeys.Hooks.allCases, context: "'hooks'") {
            guard let text = try reader.string(entry.value, entry.key.rawValue) else { continue }
            switch entry.key {
            case .healthcheckURL:
                guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
                      scheme == "http" || scheme == "https", url.host != nil else {
                    throw reader.error(entry.value, "'healthcheck_url' must be an http(s) URL such as https://hc-ping.com/UUID")
                }
                hooks.healthcheckURL = url
            }
        }
        return hooks
    }

    func maintenance(_ node: YAMLNode) throws -> MaintenanceSettings {
        var settings = MaintenanceSettings()
        if reader.isNull(node) { return settings }
        let mapping = try reader.mapping(node, "'maintenance'")
        for entry in try reader.entries(mapping, allowed: ConfigKeys.Maintenance.allCases, context: "'maintenance'") {
            guard let text = try reader.string(entry.value, entry.key.rawValue) else { continue }
            guard let schedule = MaintenanceSchedule(rawValue: text.lowercased()) else {
                let choices = MaintenanceSchedule.allCases.map(\.rawValue).joined(separator: ", ")
                throw reader.error(entry.value, "'\(entry.key.rawValue)' must be one of \(choices), not '\(text)'")
            }
            switch entry.key {
            case .analyze: settings.analyze = schedule
            case .vacuum: settings.vacuum = schedule
            case .reindexInvalid: settings.reindexInvalid = schedule
            case .check: settings.check = schedule
            }
        }
        return settings
    }
}

/// Source names (volumes, databases) appear in `NAME:latest` and in metrics.
enum SourceName {
    static let rule = "use letters, digits, '.', '_' and '-' only, starting with a letter or digit"

    static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 128 else { return false }
        let isAlnum = { (c: Unicode.Scalar) in c.isASCII && (CharacterSet.alphanumerics.contains(c)) }
        return isAlnum(first) && name.unicodeScalars.allSatisfy { isAlnum($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }
}
