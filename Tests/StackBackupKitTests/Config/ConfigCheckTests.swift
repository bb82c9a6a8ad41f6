import Foundation
import StackBackupTestSupport
import Testing
@testable import StackBackupKit

@Suite struct ConfigCheckTests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func check(_ yaml: String, in dir: TemporaryDirectory) throws -> [ConfigFinding] {
        let path = try dir.write("config.yml", yaml)
        return ConfigCheck.run(try StackConfig.load(path: path), configPath: path)
    }

    @Test func theShippedExampleAndPolicyLoadWithOnlyMissingFolderErrors() throws {
        let path = Self.repoRoot + "/policies/stack.example.yml"
        let config = try StackConfig.load(path: path)
        #expect(config.volumes.map(\.name) == ["immich-media", "navidrome-data", "music", "authelia-config",
                                               "caddy-data", "caddy-config", "homepage-config", "compose"])
        #expect(config.volume(named: "navidrome-data")?.sqlite == ["navidrome.db"])
        #expect(config.databaseTargets.map(\.database).sorted() == PostgresSettings.defaultDatabases.sorted())
        // Immich on its own PostgreSQL beside the shared one.
        #expect(config.servers.map(\.name) == ["default", "immich"])
        #expect(config.servers.map(\.databases) == [["umami", "backend", "authelia"], ["immich"]])
        #expect(config.servers.last?.port == 5433 && config.servers.last?.pgDump == ["docker", "exec", "-i", "immich_postgres", "pg_dump"])
        #expect(config.servers.map(\.globalsSource) == ["globals", "globals-immich"])
        #expect(config.retentionFile == Self.repoRoot + "/policies/retention.yml")
        #expect(config.retention?.policy(for: "umami") == RetentionPolicy(keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 2))
        #expect(config.retention?.perSource.keys.sorted() == ["authelia", "globals", "globals-immich"], "globals covers every server's roles")

        let findings = ConfigCheck.run(config, configPath: path)
        let errors = findings.filter { $0.severity == .error }
        let missing = config.volumes.filter { !FileManager.default.fileExists(atPath: $0.path) }
        #expect(errors.count == missing.count)
        #expect(errors.allSatisfy { $0.message.contains("does not exist") && $0.line != nil })
        // The example covers what a restore needs: no stack-aware warning may fire.
        let stackWarnings = findings.filter { f in f.severity == .warning && ["Authelia", "Immich", "compose", "inside", "override"].contains { f.message.contains($0) } }
        #expect(stackWarnings.isEmpty, "\(stackWarnings)")

        let policies = try RetentionPolicySet.load(path: Self.repoRoot + "/policies/retention.yml")
        for source in ["immich", "umami", "authelia", "globals", "navidrome-data"] {
            #expect(policies.policy(for: source) == config.retention?.policy(for: source), "\(source)")
        }
        #expect(config.retention?.policy(for: "globals-immich") == policies.policy(for: "globals"))
    }

    @Test func reportsMissingAndUnreadableFoldersAsErrorsOnTheirLine() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.sub("ok"), withIntermediateDirectories: true)
        try dir.write("plain-file", "x")
        let findings = try check("""
        repository: \(dir.sub("repo"))
        postgres:
          databases: []
        volumes:
          ok: \(dir.sub("ok"))
          gone:
            path: \(dir.sub("gone"))
          file: \(dir.sub("plain-file"))
        """, in: dir)
        let errors = findings.filter { $0.severity == .error }
        #expect(errors.map(\.line) == [7, 8])
        #expect(errors.first?.message == "volume 'gone': folder \(dir.sub("gone")) does not exist; fix the path or remove the volume")
        #expect(errors.last?.message.contains("is not a folder") == true)
        #expect(findings.count == 2, "\(findings)")
    }

    @Test func warnsAboutARepositoryInsideABackedUpVolume() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.sub("srv/backups"), withIntermediateDirectories: true)
        let findings = try check("""
        postgres: {databases: []}
        repository: \(dir.sub("srv/backups/repo"))
        volumes:
          srv: \(dir.sub("srv"))
        """, in: dir)
        #expect(findings.count == 1)
        #expect(findings.first?.severity == .warning)
        #expect(findings.first?.line == 2)
        #expect(findings.first?.message.contains("lies inside volume 'srv'") == true)
    }

    @Test func warnsWhenAutheliasConfigurationIsNotBackedUp() throws {
        let dir = TemporaryDirectory()
        let findings = try check("repository: /r\npostgres:\n  databases: [authelia]\n", in: dir)
        #expect(findings.map(\.line) == [3])
        #expect(findings.first?.message.contains("storage encryption key") == true)

        try FileManager.default.createDirectory(atPath: dir.sub("authelia/config"), withIntermediateDirectories: true)
        let covered = try check("repository: /r\npostgres:\n  databases: [authelia]\nvolumes:\n  auth: \(dir.sub("authelia/config"))\n", in: dir)
        #expect(covered.isEmpty, "\(covered)")
    }

    @Test func warnsAboutImmichsRegenerableFoldersAndExcludedOriginals() throws {
        let dir = TemporaryDirectory()
        for folder in ["library", "upload", "profile", "thumbs", "encoded-video"] {
            try FileManager.default.createDirectory(atPath: dir.sub("immich/\(folder)"), withIntermediateDirectories: true)
        }
        try dir.write("immich/docker-compose.yml", "services: {}\n")
        let findings = try check("""
        repository: /r
        postgres:
          databases: [immich]
        volumes:
          immich-upload:
            path: \(dir.sub("immich"))
            exclude: ["encoded-video/**", "upload/**"]
        """, in: dir)
        let messages = findings.map(\.message)
        #expect(findings.allSatisfy { $0.severity == .warning })
        #expect(messages.contains { $0.contains("includes Immich's 'thumbs' folder") && $0.contains("exclude: [\"thumbs/**\"]") })
        #expect(!messages.contains { $0.contains("'encoded-video' folder, which Immich regenerates") })
        #expect(messages.contains { $0.contains("excludes Immich's 'upload' folder (pattern 'upload/**')") })
        #expect(findings.first { $0.message.contains("excludes") }?.line == 7)
        #expect(findings.count == 2, "\(findings)")
    }

    @Test func warnsWhenTheImmichDatabaseHasNoMediaOrTheComposeSecretsAreMissing() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.sub("music"), withIntermediateDirectories: true)
        let findings = try check("repository: /r\npostgres:\n  databases: [immich, umami]\nvolumes:\n  music: \(dir.sub("music"))\n", in: dir)
        let messages = findings.map(\.message)
        #expect(messages.contains { $0.contains("no volume covers Immich's upload location") })
        #expect(messages.contains { $0.contains("compose/.env files") && $0.contains("immich and umami") })
    }

    @Test func refusesAVolumeNamedLikeADatabase() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.sub("stack"), withIntermediateDirectories: true)
        let findings = try check("repository: /r\npostgres:\n  databases: [umami]\nvolumes:\n  umami: \(dir.sub("stack"))\n", in: dir)
        #expect(findings.filter { $0.severity == .error }.map(\.line) == [5])
        #expect(findings.first { $0.severity == .error }?.message.contains("`umami:latest` would be ambiguous") == true)
    }

    @Test func warnsAboutRetentionOverridesForUnknownSources() throws {
        let dir = TemporaryDirectory()
        let findings = try check("""
        repository: /r
        postgres: {databases: [backend]}
        retention:
          default: {keep_daily: 7}
          sources:
            backned: {keep_last: 2}
        """, in: dir)
        #expect(findings.map(\.message) == ["the retention policy has an override for 'backned', which is neither a configured volume nor a database; check the spelling"])
        #expect(findings.first?.formatted(file: "config.yml") == "config.yml:3: warning: " + (findings.first?.message ?? ""))
    }

    @Test(arguments: [
        ("thumbs/**", "thumbs", true), ("/thumbs/", "thumbs", true), ("./thumbs", "thumbs", true),
        ("**/thumbs/**", "thumbs", true), ("*", "upload", true), ("thumbs-old/**", "thumbs", false),
        ("library/admin/**", "library", true), ("*.jpg", "library", false),
    ])
    func recognisesExcludesOfATopLevelFolder(pattern: String, folder: String, excluded: Bool) {
        #expect(ConfigCheck.pattern(pattern, excludesFolder: folder) == excluded)
    }

    /// The walker's exclude/keep rule, as `config check` simulates it for Immich's markers.
    @Test(arguments: [
        ("thumbs/.immich", ["thumbs/**"], [], true),
        ("thumbs/.immich", ["thumbs/**"], ["thumbs/.immich"], false),
        ("thumbs/admin/a.webp", ["thumbs/**"], ["thumbs/.immich"], true),
        ("thumbs/.immich", ["thumbs"], ["thumbs/.immich"], false),
        ("thumbs/.immich", ["thumbs"], [".immich"], true),          // a name keep does not open an excluded folder
        ("library/.immich", ["thumbs/**"], [], false),
        ("a/b/.immich", ["a/**"], ["a/**/.immich"], false),
        ("cache/x/keep.txt", ["cache/"], ["cache/*/keep.txt"], false),
    ])
    func aKeepWinsOverAnExcludeTheWayTheWalkerDecides(path: String, excludes: [String], keeps: [String], skipped: Bool) throws {
        #expect(ConfigCheck.backupSkips(path, excludes: try GlobSet(excludes), keeps: try GlobSet(keeps)) == skipped)
    }
}
