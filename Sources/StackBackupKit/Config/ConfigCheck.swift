import Foundation

/// One thing `config check` found, with the config line it concerns when known.
public struct ConfigFinding: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Equatable {
        /// The config cannot work as written (e.g. a volume folder is missing).
        case error
        /// It works, but a restore may lack something or the repository grows needlessly.
        case warning
    }

    public var severity: Severity
    public var line: Int?
    public var message: String

    public init(_ severity: Severity, line: Int?, _ message: String) {
        self.severity = severity
        self.line = line
        self.message = message
    }

    /// "error: …" or "12: warning: …"; see `formatted(file:)` for the editor-friendly form.
    public var description: String {
        (line.map { "\($0): " } ?? "") + "\(severity.rawValue): \(message)"
    }

    /// "config.yml:12: warning: …"
    public func formatted(file: String) -> String {
        "\(file):" + (line.map { "\($0):" } ?? "") + " \(severity.rawValue): \(message)"
    }
}

/// `stackbackup config check`: every mistake of the file, and what parsing
/// cannot see — the machine (folders that are missing or unreadable, a
/// passphrase file others can read), the services (the repository opens,
/// each PostgreSQL server answers, its pg_dump/pg_restore fit it) and the
/// stack (what a restore would need). Never writes, never throws.
public struct ConfigCheck {
    /// Immich's UPLOAD_LOCATION subfolders: originals and profile pictures
    /// cannot be regenerated; thumbnails and transcodes can.
    static let immichOriginals = ["upload", "library", "profile"]
    static let immichRegenerable = ["thumbs", "encoded-video"]
    static let composeFiles = ["compose.yml", "compose.yaml", "docker-compose.yml", "docker-compose.yaml", ".env"]

    /// Every finding: the file's mistakes (`parseErrors`, from
    /// `StackConfig.loadCollecting`), then what the machine, the stack and,
    /// with `services`, the repository and the PostgreSQL servers say.
    public static func run(_ config: StackConfig, configPath: String, parseErrors: [ConfigurationError] = [],
                           services: ConfigCheckServices = ConfigCheckServices(postgres: false)) -> [ConfigFinding] {
        var check = Run(config: config)
        for error in parseErrors {
            let message = error.file == configPath ? error.message : "\(error.file)\(error.line.map { ":\($0)" } ?? ""): \(error.message)"
            check.findings.append(ConfigFinding(.error, line: error.file == configPath ? error.line : config.lines["retention"], message))
        }
        check.repository()
        if let open = services.openRepository { check.repositoryOpens(open) }
        check.passphraseFileMode()
        check.noDatabase()
        if services.postgres { check.servers() }
        check.volumeFolders()
        check.sourceNames()
        check.files()
        check.retention()
        check.authelia()
        check.immich()
        check.immichMarkers()
        check.composeFiles()
        return check.findings
    }

    struct Run {
        let config: StackConfig
        var findings: [ConfigFinding] = []
        let fm = FileManager.default

        init(config: StackConfig) { self.config = config }

        /// Database names of every server.
        var databases: [String] { config.databaseTargets.map(\.database) }
        /// Every source a database server files snapshots under: databases and roles.
        var serverSources: [String] {
            config.databaseTargets.map(\.source) + config.servers.map(\.globalsSource)
        }

        /// The line key of the `databases:` that lists `database`, else "volumes".
        func databasesKey(_ database: String) -> String {
            guard let server = config.servers.first(where: { $0.databases.contains(database) }) else { return "volumes" }
            let key = config.lineKey(server, "databases")
            return config.lines[key] != nil ? key : "volumes"
        }

        mutating func add(_ severity: ConfigFinding.Severity, _ key: String?, _ message: String) {
            findings.append(ConfigFinding(severity, line: key.flatMap { config.lines[$0] }, message))
        }

        func isFolder(_ path: String) -> Bool {
            var folder: ObjCBool = false
            return fm.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
        }

        mutating func repository() {
            guard let repo = config.repository else {
                add(.warning, nil, "no 'repository' is set; every command will need --repo or STACKBACKUP_REPOSITORY")
                return
            }
            guard repo.hasPrefix("/") else { return }
            let repoPath = Self.normalized(repo)
            for volume in config.volumes where Self.isInside(repoPath, Self.normalized(volume.path)) {
                add(.warning, "repository",
                    "the repository \(repo) lies inside volume '\(volume.name)' (\(volume.path)); each backup would store the previous ones again: move it or exclude it")
            }
        }

        mutating func volumeFolders() {
            for volume in config.volumes {
                let key = "volumes.\(volume.name).path"
                if !fm.fileExists(atPath: volume.path) {
                    add(.error, key, "volume '\(volume.name)': folder \(volume.path) does not exist; fix the path or remove the volume")
                } else if !isFolder(volume.path) {
                    add(.error, key, "volume '\(volume.name)': \(volume.path) is not a folder; a volume must name a folder")
                } else if access(volume.path, R_OK | X_OK) != 0 {
                    add(.error, key, "volume '\(volume.name)': folder \(volume.path) is not readable by this user; run as a user that can read it (e.g. root under systemd)")
                }
            }
        }

        mutating func sourceNames() {
            let reserved = Set(serverSources)
            for volume in config.volumes where reserved.contains(volume.name) {
                add(.error, "volumes.\(volume.name)",
                    "volume '\(volume.name)' has the name of a database source; `\(volume.name):latest` would be ambiguous: rename the volume (e.g. \(volume.name)-files)")
            }
        }

        mutating func files() {
            let serverFiles = config.servers.map { server in
                (config.lineKey(server, "password_file"), server.passwordFile,
                 config.serverListForm ? "PostgreSQL password file of server '\(server.name)'" : "PostgreSQL password file")
            }
            for (key, path, what) in [("password_file", config.passwordFile, "passphrase file")] + serverFiles {
                if let path, !fm.isReadableFile(atPath: path) {
                    add(.warning, key, "the \(what) \(path) does not exist or is not readable by this user")
                }
            }
            for (key, path) in [("status_file", config.statusFile), ("metrics_file", config.metricsFile)] {
                guard let path else { continue }
                let folder = (path as NSString).deletingLastPathComponent
                if !isFolder(folder) {
                    add(.warning, key, "the folder \(folder) for '\(key)' does not exist; create it or `run` cannot write \(path)")
                }
            }
        }

        mutating func retention() {
            guard let set = config.retention else { return }
            let known = Set(serverSources + ["globals"] + config.volumes.map(\.name))
            for name in set.perSource.keys.sorted() where !known.contains(name) {
                let whereFrom = config.retentionFile.map { " in \($0)" } ?? ""
                add(.warning, "retention",
                    "the retention policy\(whereFrom) has an override for '\(name)', which is neither a configured volume nor a database; check the spelling")
            }
        }

        func volumes(mentioning word: String) -> [VolumeSettings] {
            config.volumes.filter { $0.name.lowercased().contains(word) || $0.path.lowercased().contains(word) }
        }

        mutating func authelia() {
            guard databases.contains("authelia"), volumes(mentioning: "authelia").isEmpty else { return }
            add(.warning, databasesKey("authelia"),
                "the 'authelia' database is backed up but no volume covers Authelia's configuration folder; its storage encryption key is needed to read that database: add a volume such as authelia-config: /srv/authelia/config")
        }

        mutating func immich() {
            let immichVolumes = volumes(mentioning: "immich")
            if databases.contains("immich"), immichVolumes.isEmpty {
                add(.warning, databasesKey("immich"),
                    "the 'immich' database is backed up but no volume covers Immich's upload location (library, upload, profile); a restored database would point at missing photos")
            }
            for volume in config.volumes {
                let last = (volume.path as NSString).lastPathComponent
                if ConfigCheck.immichRegenerable.contains(last), volume.path.lowercased().contains("immich") || volume.name.lowercased().contains("immich") {
                    add(.warning, "volumes.\(volume.name).path",
                        "volume '\(volume.name)' backs up Immich's '\(last)' folder, which Immich regenerates; remove the volume to save space")
                }
            }
            for volume in immichVolumes {
                let excludeKey = "volumes.\(volume.name).exclude"
                for folder in ConfigCheck.immichRegenerable where isFolder(volume.path + "/" + folder) {
                    if !volume.exclude.contains(where: { ConfigCheck.pattern($0, excludesFolder: folder) }) {
                        add(.warning, "volumes.\(volume.name)",
                            "volume '\(volume.name)' includes Immich's '\(folder)' folder, which Immich regenerates; add exclude: [\"\(folder)/**\"]")
                    }
                }
                for folder in ConfigCheck.immichOriginals {
                    if let pattern = volume.exclude.first(where: { ConfigCheck.pattern($0, excludesFolder: folder) }) {
                        add(.warning, config.lines[excludeKey] != nil ? excludeKey : "volumes.\(volume.name)",
                            "volume '\(volume.name)' excludes Immich's '\(folder)' folder (pattern '\(pattern)'), which holds data Immich cannot regenerate; remove that pattern")
                    }
                }
            }
        }

        mutating func composeFiles() {
            let apps = databases.filter { $0 == "immich" || $0 == "umami" }
            guard !apps.isEmpty else { return }
            let covered = config.volumes.contains { volume in
                let text = (volume.name + " " + (volume.path as NSString).lastPathComponent).lowercased()
                if text.contains("compose") || text.contains("stack") { return true }
                return ConfigCheck.composeFiles.contains { fm.fileExists(atPath: volume.path + "/" + $0) }
            }
            if !covered {
                add(.warning, "volumes",
                    "no volume holds the stack's compose/.env files, which keep the secrets of \(apps.joined(separator: " and ")) (database passwords, app secrets); add a volume for the folder with docker-compose.yml and .env")
            }
        }

        static func normalized(_ path: String) -> String {
            var p = (path as NSString).standardizingPath
            while p.count > 1, p.hasSuffix("/") { p.removeLast() }
            return p
        }

        static func isInside(_ path: String, _ folder: String) -> Bool {
            folder == "/" || path == folder || path.hasPrefix(folder + "/")
        }
    }

    /// Whether an exclude glob (relative to the volume) removes the top-level
    /// `folder`: "thumbs", "thumbs/**", "/thumbs/", "**/thumbs", "*", "**".
    static func pattern(_ pattern: String, excludesFolder folder: String) -> Bool {
        var p = Substring(pattern)
        while p.hasPrefix("./") { p = p.dropFirst(2) }
        while p.hasPrefix("/") { p = p.dropFirst() }
        if p == "*" || p == "**" || p == "**/*" { return true }
        while p.hasPrefix("**/") { p = p.dropFirst(3) }
        let first = p.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true).first ?? ""
        return first == folder || first == "*"
    }
}
