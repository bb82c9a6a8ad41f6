import Foundation
import StackBackupTestSupport
import Testing
@testable import StackBackupKit

/// `postgres:` as a list of servers: parsing, its mistakes with their lines,
/// and how command-line names find their server.
@Suite struct ServerListTests {
    static let twoServers = """
    repository: /var/backups/stackbackup
    postgres:
      - name: default
        host: 127.0.0.1
        port: 5432
        databases: [umami, backend, authelia, {name: app, source: app-shared}]
        pg_dump: docker exec -i postgres pg_dump
      - name: immich
        host: 127.0.0.1
        port: 5433
        user: immich
        dbname: immich
        password_file: /etc/stackbackup/immich.pgpass
        sslmode: disable
        connect_timeout: 5
        jobs: 3
        lock_timeout: 1m
        pg_dump: docker exec -i immich_postgres pg_dump
        pg_restore: [docker, exec, -i, immich_postgres, pg_restore]
        databases:
          - immich
          - name: app
            source: app-immich
    """

    static func parse(_ yaml: String) throws -> StackConfig {
        try StackConfig.parse(yaml: yaml, file: "/etc/stackbackup/config.yml")
    }

    @Test func parsesEachServerWithItsOwnSettings() throws {
        let config = try Self.parse(Self.twoServers)
        #expect(config.serverListForm)
        #expect(config.servers.map(\.name) == ["default", "immich"])
        let shared = config.servers[0], immich = config.servers[1]
        #expect(shared.port == 5432 && shared.databases == ["umami", "backend", "authelia", "app"])
        #expect(shared.pgDump == ["docker", "exec", "-i", "postgres", "pg_dump"] && shared.pgRestore == ["pg_restore"])
        #expect(immich.host == "127.0.0.1" && immich.port == 5433 && immich.user == "immich" && immich.dbname == "immich")
        #expect(immich.passwordFile == "/etc/stackbackup/immich.pgpass" && immich.sslMode == "disable" && immich.connectTimeout == 5)
        #expect(immich.jobs == 3 && immich.lockTimeout == 60 && shared.jobs == 2 && shared.lockTimeout == 30)
        #expect(immich.pgDump == ["docker", "exec", "-i", "immich_postgres", "pg_dump"])
        #expect(immich.pgRestore == ["docker", "exec", "-i", "immich_postgres", "pg_restore"])
        #expect(immich.databases == ["immich", "app"])
        #expect(config.databaseTargets.map(\.source) == ["umami", "backend", "authelia", "app-shared", "immich", "app-immich"])
        #expect(shared.globalsSource == "globals" && immich.globalsSource == "globals-immich")
        #expect(config.lines["postgres.immich.port"] == 10 && config.lines["postgres.immich"] == 8)
        #expect(config.lineKey(immich, "databases") == "postgres.immich.databases")
        let connection = immich.connectionConfig(database: "immich")
        #expect(connection.port == 5433 && connection.user == "immich" && connection.database == "immich")
    }

    @Test func theSingleFormIsOneServerNamedDefault() throws {
        let config = try Self.parse("postgres:\n  port: 5433\n  databases: [immich, {name: umami, source: web-stats}]\n")
        #expect(!config.serverListForm && config.servers.map(\.name) == ["default"])
        #expect(config.databaseTargets.map(\.source) == ["immich", "web-stats"])
        #expect(config.lineKey(config.servers[0], "port") == "postgres.port" && config.lines["postgres.port"] == 2)
        #expect(try Self.parse("postgres: []\n").servers.isEmpty, "an empty list: no PostgreSQL at all")
    }

    @Test(arguments: [
        ("postgres:\n  - name: a\n    databases: [x]\n  - name: a\n    databases: [y]\n", 4,
         "server name 'a' is used twice (first on line 2); give each server its own name"),
        ("postgres:\n  - host: h\n    databases: [x]\n", 2,
         "a server under 'postgres' has no 'name:'; give each server a name, e.g. `- name: immich`"),
        ("postgres:\n  - name: a\n    databses: [x]\n", 3, "unknown key 'databses' under server 'a' (did you mean 'databases'?)"),
        ("postgres:\n  - name: a\n    prot: 5433\n    databases: [x]\n", 3, "unknown key 'prot' under server 'a' (did you mean 'port'?)"),
        ("postgres:\n  - name: a\n    host: h\n", 2,
         "server 'a' has no 'databases:'; list the databases to back up from it (or `databases: []`)"),
        ("postgres:\n  - name: a\n    databases: [immich]\n  - name: b\n    databases: [immich]\n", 5,
         "database 'immich' is on servers 'a' (line 3) and 'b': both would be snapshot source 'immich'; give one of them its own source name, e.g. {name: immich, source: immich-b}"),
        ("postgres:\n  - name: a\n    databases: [immich]\n  - name: b\n    databases: [{name: other, source: immich}]\n", 5,
         "database 'other' of server 'b' and database 'immich' of server 'a' (line 3): both would be snapshot source 'immich'; give one of them its own source name, e.g. {name: other, source: other-b}"),
        ("postgres:\n  - name: a\n    databases: [globals-b]\n  - name: b\n    databases: []\n", 3,
         "database 'globals-b' of server 'a' would be filed as 'globals-b', the source of server 'b's roles; give it another source: {name: globals-b, source: globals-b-db}"),
        ("postgres:\n  - name: a\n    databases:\n      - {name: x, sorce: y}\n", 4, "unknown key 'sorce' under a database entry (did you mean 'source'?)"),
        ("postgres:\n  - name: a\n    databases:\n      - {source: y}\n", 4,
         "a database entry has no 'name:'; write `{name: DB, source: SOURCE}` or just the database name"),
        ("postgres:\n  - name: a\n    databases: [{name: x, source: \"x:latest\"}]\n", 3,
         "source name 'x:latest' of database 'x' is not usable; use letters, digits, '.', '_' and '-' only, starting with a letter or digit"),
        ("postgres:\n  - name: \"a b\"\n    databases: []\n", 2,
         "server name 'a b' is not usable; use letters, digits, '.', '_' and '-' only, starting with a letter or digit"),
        ("postgres:\n  - a\n", 2, "each server under 'postgres' must be a mapping with a 'name:', not a single value"),
        ("postgres:\n  name: a\n  databases: [x]\n", 2,
         "'name' names a server of the list form: write `postgres:` as a list (`- name: …`) or leave 'name' out (the single server is called 'default')"),
        ("postgres:\n  - name: a\n    port: 70000\n    databases: []\n", 3, "'port' must be a TCP port between 1 and 65535, not 70000"),
        ("postgres:\n  databases: [globals]\n", 2,
         "database 'globals' of server 'default' would be filed as 'globals', the source of server 'default's roles; give it another source: {name: globals, source: globals-db}"),
    ])
    func reportsMistakesInTheListWithTheirLine(yaml: String, line: Int, message: String) {
        let error = configurationError { _ = try Self.parse(yaml) }
        #expect(error?.file == "/etc/stackbackup/config.yml")
        // Every mistake is reported; this one among them, on its line.
        let found = error?.all.first { $0.message == message }
        #expect(found?.line == line, "\(error.map(\.description) ?? "no error")")
    }

    @Test func aDatabaseNamedOnTwoServersParsesWhenOneHasItsOwnSource() throws {
        let config = try Self.parse("postgres:\n  - name: a\n    databases: [app]\n  - name: b\n    databases: [{name: app, source: app-b}]\n")
        #expect(config.databaseTargets.map(\.source) == ["app", "app-b"])
        // The bare name is a source: no ambiguity, the common `restore app` keeps working.
        #expect(try config.configuredTarget("app")?.server.name == "a")
        #expect(try config.configuredTarget("app", server: "b")?.source == "app-b")
        #expect(try config.configuredTarget("app-b")?.database == "app")
    }

    @Test func aDatabaseNameOnTwoServersNeedsServerWhenNeitherUsesItAsItsSource() throws {
        let config = try Self.parse(Self.twoServers)
        let ambiguous = selectionError { _ = try config.configuredTarget("app") }
        #expect(ambiguous == "database 'app' is on 2 servers: default (source app-shared), immich (source app-immich); give --server default or --server immich, or the source name")
        #expect(selectionError { _ = try config.databaseTargets(["app"]) } == ambiguous)
        #expect(selectionError { _ = try config.snapshotSource(for: "app") } == ambiguous)
        #expect(try config.snapshotSource(for: "app", server: "immich") == "app-immich")
        #expect(try config.snapshotSource(for: "app-shared") == "app-shared")
        #expect(try config.snapshotSource(for: "immich") == "immich")
        #expect(try config.snapshotSource(for: "app:latest") == "app:latest", "SOURCE:latest is taken as written")
        #expect(try config.snapshotSource(for: "navidrome") == "navidrome", "names the config does not list pass through")

        let unknown = selectionError { _ = try config.server(named: "imich") }
        #expect(unknown == "no PostgreSQL server named 'imich' in the config; its servers: default, immich")
        #expect(selectionError { _ = try config.databaseTargets(["scratch"]) }
                == "database 'scratch' is not in the config, which has 2 servers (default, immich): give --server NAME to say which one holds it")
        let scratch = try config.databaseTargets(["scratch"], server: "immich")
        #expect(scratch.map(\.server.name) == ["immich"] && scratch.map(\.source) == ["scratch"])
    }

    @Test func backupSelectionsGoServerByServer() throws {
        let config = try Self.parse(Self.twoServers)
        #expect(try config.databaseTargets([], server: "immich").map(\.database) == ["immich", "app"])
        let groups = try config.serverGroups(["immich", "umami", "app-shared"])
        #expect(groups.map(\.server.name) == ["default", "immich"])
        #expect(groups.map { $0.targets.map(\.database) } == [["umami", "app"], ["immich"]])
        #expect(try config.serverGroups([]).map(\.targets.count) == [4, 2])
        // Without a config file: one server from the PG* environment, any database name.
        let flagsOnly = StackConfig()
        #expect(try flagsOnly.databaseTargets(["anything"]).map(\.server.name) == ["default"])
        #expect(try flagsOnly.databaseTargets([]).map(\.database) == PostgresSettings.defaultDatabases)
    }

    @Test func aRestoreGoesToTheConfigsServerOfItsSourceElseTheSnapshots() throws {
        let config = try Self.parse(Self.twoServers)
        func snapshot(_ source: String, server: String?) -> Snapshot {
            Snapshot(time: Date(), host: "nas", kind: .postgres, source: source, root: ObjectID(bytes: [UInt8](repeating: 1, count: 32))!, server: server)
        }
        #expect(try config.restoreServer(for: snapshot("immich", server: "immich")).server.name == "immich")
        #expect(try config.restoreServer(for: snapshot("umami", server: nil)).server.name == "default", "old snapshots came from default")
        // The source moved to another server since: the config says where it lives now, and the note says so.
        let moved = try config.restoreServer(for: snapshot("immich", server: "default"))
        #expect(moved.server.name == "immich")
        #expect(moved.note == "snapshot of immich was taken on server 'default'; restoring on server 'immich' (the config's server of immich; give --server default to restore there)")
        #expect(try config.restoreServer(for: snapshot("immich", server: "immich"), server: "default").server.name == "default")
        // A source the config no longer lists goes back to its recorded server.
        #expect(try config.restoreServer(for: snapshot("retired", server: "immich")).server.name == "immich")
        #expect(selectionError { _ = try config.restoreServer(for: snapshot("retired", server: "gone")) }
                == "snapshot of retired was taken on server 'gone', which the config does not name; give --server NAME (one of default, immich)")
        #expect(try StackConfig().restoreServer(for: snapshot("retired", server: "gone")).server.name == "default")
    }

    @Test func aGlobalsRetentionOverrideCoversEveryServersRoles() throws {
        let yaml = Self.twoServers + "\nretention:\n  default: {keep_daily: 7}\n  sources:\n    globals: {keep_last: 2}\n    immich: {keep_last: 9}\n"
        let config = try Self.parse(yaml)
        #expect(config.retention?.policy(for: "globals") == RetentionPolicy(keepLast: 2))
        #expect(config.retention?.policy(for: "globals-immich") == RetentionPolicy(keepLast: 2))
        #expect(config.retention?.policy(for: "app-immich") == RetentionPolicy(keepDaily: 7))
    }

    @Test func configCheckLooksAtEveryServer() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.sub("media"), withIntermediateDirectories: true)
        let path = try dir.write("config.yml", """
        repository: \(dir.sub("repo"))
        postgres:
          - name: default
            databases: [umami]
          - name: immich
            password_file: \(dir.sub("missing.pgpass"))
            databases: [immich, authelia]
        volumes:
          globals-immich: \(dir.sub("media"))
        """)
        let findings = ConfigCheck.run(try StackConfig.load(path: path), configPath: path)
        let errors = findings.filter { $0.severity == .error }
        #expect(errors.map(\.line) == [9] && errors.first?.message.contains("volume 'globals-immich' has the name of a database source") == true, "\(findings)")
        let password = findings.first { $0.message.contains("missing.pgpass") }
        #expect(password?.line == 6 && password?.message.contains("server 'immich'") == true, "\(findings)")
        let authelia = findings.first { $0.message.contains("the 'authelia' database is backed up") }
        #expect(authelia?.line == 7, "the warning points at the databases of the server holding authelia: \(findings)")
    }

    func selectionError(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as ServerSelectionError {
            return error.description
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }
}
