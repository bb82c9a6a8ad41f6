import Foundation
import StackBackupTestSupport
import Testing
@testable import StackBackupKit

/// Runs `body` and returns the ConfigurationError it throws (nil if none).
func configurationError(_ body: () throws -> Void) -> ConfigurationError? {
    do {
        try body()
        return nil
    } catch let error as ConfigurationError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

@Suite struct StackConfigTests {
    @Test func parsesEverySectionOfAFullConfig() throws {
        let dir = TemporaryDirectory()
        try dir.write("policies/retention.yml", "default:\n  keep_daily: 7\nsources:\n  umami:\n    keep_last: 3\n")
        let yaml = """
        repository: /var/backups/stackbackup
        password_file: secrets/passphrase
        postgres:
          host: 127.0.0.1
          port: 5433
          user: backup
          dbname: admin
          password_file: /etc/stackbackup/pgpass
          sslmode: require
          connect_timeout: 15
          databases: [immich, umami]
          jobs: 4
          pg_dump: docker exec -i postgres pg_dump
          lock_timeout: 2m
        volumes:
          zeta:
            path: /srv/zeta
            exclude: ["thumbs/**", "encoded-video/**"]
            sqlite: ["*.db"]
            one_file_system: true
          alpha: /srv/alpha
        retention:
          policy: policies/retention.yml
        prune_every: 7d
        status_file: /var/lib/stackbackup/status.json
        metrics_file: /var/lib/prometheus/node-exporter/stackbackup.prom
        hooks:
          healthcheck_url: https://hc-ping.com/uuid
        maintenance:
          analyze: nightly
          vacuum: weekly
          reindex_invalid: weekly
          check: monthly
        """
        let config = try StackConfig.parse(yaml: yaml, file: dir.sub("config.yml"))
        #expect(config.repository == "/var/backups/stackbackup")
        #expect(config.passwordFile == dir.sub("secrets/passphrase"), "relative paths are resolved against the config's folder")
        #expect(config.servers.count == 1 && !config.serverListForm)
        let pg = try #require(config.servers.first)
        #expect(pg.name == "default" && pg.globalsSource == "globals", "the single form's server is called default")
        #expect(pg.host == "127.0.0.1" && pg.port == 5433 && pg.user == "backup" && pg.dbname == "admin")
        #expect(pg.passwordFile == "/etc/stackbackup/pgpass" && pg.sslMode == "require" && pg.connectTimeout == 15)
        #expect(pg.databases == ["immich", "umami"] && pg.jobs == 4 && pg.lockTimeout == 120)
        #expect(pg.pgDump == ["docker", "exec", "-i", "postgres", "pg_dump"])
        #expect(config.volumes.map(\.name) == ["zeta", "alpha"], "volumes keep file order")
        #expect(config.volumes[0] == VolumeSettings(name: "zeta", path: "/srv/zeta", exclude: ["thumbs/**", "encoded-video/**"],
                                                    sqlite: ["*.db"], oneFileSystem: true))
        #expect(config.volumes[1] == VolumeSettings(name: "alpha", path: "/srv/alpha"))
        #expect(config.retention?.policy(for: "umami") == RetentionPolicy(keepLast: 3))
        #expect(config.retention?.policy(for: "immich") == RetentionPolicy(keepDaily: 7))
        #expect(config.retentionFile == dir.sub("policies/retention.yml"))
        #expect(config.pruneEvery == TimeInterval(7 * 86_400))
        #expect(config.statusFile == "/var/lib/stackbackup/status.json")
        #expect(config.metricsFile == "/var/lib/prometheus/node-exporter/stackbackup.prom")
        #expect(config.hooks.healthcheckURL?.absoluteString == "https://hc-ping.com/uuid")
        #expect(config.maintenance == MaintenanceSettings(analyze: .nightly, vacuum: .weekly, reindexInvalid: .weekly, check: .monthly))
        #expect(config.lines["volumes.alpha.path"] == 21)
    }

    @Test func anEmptyConfigGivesTheDefaultsAndNoDatabase() throws {
        let config = try StackConfig.parse(yaml: "# nothing yet\n", file: "/etc/stackbackup/config.yml")
        #expect(config.repository == nil && config.volumes.isEmpty && config.retention == nil)
        // No `postgres:` section: no database is backed up (issue 14 item 11).
        #expect(config.servers.isEmpty && config.databaseTargets.isEmpty)
        // A `postgres:` section without `databases:`, and flags-only use, get the stack's four.
        #expect(try StackConfig.parse(yaml: "postgres:\n  port: 5433\n", file: "/c.yml").servers.map(\.databases) == [PostgresSettings.defaultDatabases])
        #expect(StackConfig().servers == [PostgresSettings()])
        let pg = try #require(StackConfig().servers.first)
        #expect(pg.name == "default" && pg.databases == ["immich", "umami", "backend", "authelia"])
        #expect(pg.jobs == 2 && pg.pgDump == ["pg_dump"] && pg.lockTimeout == 30)
        #expect(config.maintenance == MaintenanceSettings())
    }

    @Test func reportsEveryMistakeOnceInFileOrder() throws {
        let yaml = """
        volumse: {}
        postgres:
          port: many
          databses: [x]
        volumes:
          a:
            path: [not, a, path]
          b:
            app: nextcloud
            path: /srv/b
        prune_every: soon

        """
        let error = try #require(configurationError { _ = try StackConfig.parse(yaml: yaml, file: "/c.yml") })
        #expect(error.all.map(\.line) == [1, 3, 4, 7, 9, 11], "\(error)")
        #expect(error.all.filter { $0.message.contains("volume 'a'") }.isEmpty, "a bad path is one mistake, not two: \(error)")
        #expect(error.description.split(separator: "\n").count == 6)
        let dir = TemporaryDirectory()
        let (partial, errors) = StackConfig.loadCollecting(path: try dir.write("c.yml", yaml))
        #expect(errors.count == 6 && partial.volumes.map(\.name) == ["b"] && partial.pruneEvery == nil)
    }

    @Test func keepsObjectStoreLocationsAsWritten() throws {
        let config = try StackConfig.parse(yaml: "repository: s3:https://s3.example.com/bucket\n", file: "/etc/c.yml")
        #expect(config.repository == "s3:https://s3.example.com/bucket")
    }

    @Test func inlineRetentionRulesBecomeTheDefaultPolicy() throws {
        let short = try StackConfig.parse(yaml: "retention:\n  keep_daily: 3\n  keep_within: 2w\n", file: "/c.yml")
        #expect(short.retention == RetentionPolicySet(default: RetentionPolicy(keepDaily: 3, keepWithin: RetentionDuration(weeks: 2))))
        let full = try StackConfig.parse(yaml: "retention:\n  default: {keep_last: 5}\n  sources:\n    music: {keep_monthly: 2}\n", file: "/c.yml")
        #expect(full.retention?.policy(for: "music") == RetentionPolicy(keepMonthly: 2))
    }

    @Test(arguments: [
        ("volumse:\n  a: /x\n", 1, "unknown key 'volumse' under the top level (did you mean 'volumes'?)"),
        ("repository: /r\n\npostgres:\n  prot: 5432\n", 4, "unknown key 'prot' under 'postgres' (did you mean 'port'?)"),
        ("volumes:\n  media:\n    path: /m\n    exclued: [a]\n", 4, "unknown key 'exclued' under volume 'media' (did you mean 'exclude'?)"),
        ("postgres:\n  port: fivefour\n", 2, "'port' must be a whole number, not 'fivefour'"),
        ("postgres:\n  port: 70000\n", 2, "'port' must be a TCP port between 1 and 65535, not 70000"),
        ("postgres:\n  jobs: 0\n", 2, "'jobs' must be at least 1, not 0"),
        ("postgres:\n  lock_timeout: soon\n", 2, "'lock_timeout' must be a duration like 30s, 5m, 12h, 7d or 2w, not 'soon'"),
        ("prune_every: 7 days\n", 1, "'prune_every' must be a duration like 30s, 5m, 12h, 7d or 2w, not '7 days'"),
        ("postgres:\n  sslmode: maybe\n", 2, "'sslmode' must be one of disable, allow, prefer, require, verify-ca, verify-full, not 'maybe'"),
        ("postgres:\n  databases: [immich, immich]\n", 2, "database 'immich' is listed twice under 'databases'"),
        ("volumes:\n  media:\n    exclude: [a]\n", 2, "volume 'media' has no 'path:'; add the folder to back up"),
        ("volumes:\n  media:\n    path: /m\n    one_file_system: perhaps\n", 4, "'one_file_system' must be true or false, not 'perhaps'"),
        ("volumes:\n  \"immich:latest\": /m\n", 2, "volume name 'immich:latest' is not usable; use letters, digits, '.', '_' and '-' only, starting with a letter or digit"),
        ("volumes: [a, b]\n", 1, "'volumes' must be a mapping of keys to values, not a list"),
        ("repository: [a]\n", 1, "'repository' must be a single value, not a list"),
        ("hooks:\n  healthcheck_url: ftp://x\n", 2, "'healthcheck_url' must be an http(s) URL such as https://hc-ping.com/UUID"),
        ("maintenance:\n  vacuum: hourly\n", 2, "'vacuum' must be one of never, nightly, weekly, monthly, not 'hourly'"),
        ("retention:\n  default:\n    keep_daily: -1\n", 3, "'keep_daily' must not be negative (-1); write the number of periods to keep"),
        ("retention:\n  policy: nowhere.yml\n", 2, "retention policy file /etc/nowhere.yml does not exist or is not readable"),
        ("repository: /a\nrepository: /b\n", 1, "duplicate key 'repository'; each key may appear once"),
    ])
    func reportsMistakesWithTheirLine(yaml: String, line: Int, message: String) {
        let error = configurationError { _ = try StackConfig.parse(yaml: yaml, file: "/etc/config.yml") }
        #expect(error?.file == "/etc/config.yml")
        #expect(error?.line == line)
        #expect(error?.message == message)
    }

    @Test func describesErrorsAsFileLineMessage() {
        let error = configurationError { _ = try StackConfig.parse(yaml: "repository: /r\nvolumse: {}\n", file: "config.yml") }
        #expect(error?.description == "config.yml:2: unknown key 'volumse' under the top level (did you mean 'volumes'?)")
    }

    @Test func reportsYAMLSyntaxErrorsWithTheirLine() {
        let error = configurationError { _ = try StackConfig.parse(yaml: "repository: /r\nvolumes:\n  a: [unclosed\n", file: "c.yml") }
        #expect(error?.line != nil)
        #expect(error?.message.hasPrefix("invalid YAML") == true)
    }

    @Test func survivesGarbage() {
        let seeds = ["\u{0}\u{1}", "{{{{", "- - - -", ": : :", "a: *undefined", String(repeating: "[", count: 300), "\t\t:\n\t-"]
        for text in seeds {
            _ = try? StackConfig.parse(yaml: text, file: "g.yml")
        }
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("ab:- \n[]{}\"'#&*!|>%@`,?0123456789volumes")
        for _ in 0..<200 {
            let text = String((0..<Int.random(in: 1...80, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            _ = try? StackConfig.parse(yaml: text, file: "g.yml")
        }
    }

    @Test func locatesTheConfigByFlagThenEnvironmentThenDefault() throws {
        let dir = TemporaryDirectory()
        let existing = try dir.write("config.yml", "")
        let env = ["STACKBACKUP_CONFIG": "/from/env.yml"]
        #expect(StackConfig.locate(flag: "/from/flag.yml", environment: env, defaultPath: existing) == "/from/flag.yml")
        #expect(StackConfig.locate(flag: nil, environment: env, defaultPath: existing) == "/from/env.yml")
        #expect(StackConfig.locate(flag: nil, environment: [:], defaultPath: existing) == existing)
        #expect(StackConfig.locate(flag: nil, environment: [:], defaultPath: dir.sub("absent.yml")) == nil)
    }

    @Test func loadingAMissingFileSaysHowToPointAtOne() {
        let error = configurationError { _ = try StackConfig.load(path: "/nonexistent/config.yml") }
        #expect(error?.description == "/nonexistent/config.yml: no such config file; pass --config PATH or set STACKBACKUP_CONFIG")
    }
}
