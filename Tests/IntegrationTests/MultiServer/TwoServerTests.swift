import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// A config with two PostgreSQL servers — the test server as `shared` and a
/// second cluster started by scripts/pg-cluster.sh as `immich`, each with a
/// database of its own and one database name on both — backed up by `run` and
/// restored through the real binary, each compared with its original by
/// `DatabaseComparator`.
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct TwoServerTests {
    /// The two servers, their databases and the config naming them.
    final class Stack {
        let shared: PGConnectionConfig
        let immichServer: ScratchCluster
        var immich: PGConnectionConfig { immichServer.config }
        let umami: String, photos: String, app: String
        /// A role that exists on the immich server only, owning its database.
        let owner: String
        let cli: CLIRepository
        let config: String

        init() throws {
            shared = try #require(try TestPostgres.requireServer()).withDatabase("postgres")
            immichServer = try ScratchCluster()
            let immich = immichServer.config
            let tag = "\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
            owner = "sbt_ms_owner_\(tag)"
            umami = try TestPostgres.createScratchDatabase(prefix: "ms_umami")
            app = try TestPostgres.createScratchDatabase(prefix: "ms_app")
            photos = "sbt_ms_immich_\(tag)"
            try StackFixtures.createUmamiLike(db: shared.withDatabase(umami), rows: 400)
            try StackFixtures.createBackendLike(db: shared.withDatabase(app), rows: 150)

            // The same database name on the second server, with other content.
            let admin = try PGConnection.connect(immich)
            try admin.execute("CREATE ROLE \(owner) LOGIN")
            try admin.execute("CREATE DATABASE \(photos) TEMPLATE template0 ENCODING 'UTF8' OWNER \(owner)")
            try admin.execute("CREATE DATABASE \(app) TEMPLATE template0 ENCODING 'UTF8'")
            try StackFixtures.createImmichLike(db: immich.withDatabase(photos), rows: 120)
            try StackFixtures.createAutheliaLike(db: immich.withDatabase(app), rows: 60)

            cli = try CLIRepository("stackbackup-multi")
            config = try cli.directory.write("config.yml", """
            repository: \(cli.repo)
            password_file: \(cli.passwordFile)
            status_file: \(cli.directory.sub("state/status.json"))
            metrics_file: \(cli.directory.sub("state/metrics.prom"))
            postgres:
              - name: shared
                host: \(shared.host ?? "127.0.0.1")
                port: \(shared.port ?? 5432)
                user: \(shared.user ?? "postgres")
                databases:
                  - \(umami)
                  - {name: \(app), source: app-shared}
              - name: immich
                host: \(immich.host ?? "127.0.0.1")
                port: \(immich.port ?? 5432)
                user: \(immich.user ?? "postgres")
                jobs: 1
                databases:
                  - \(photos)
                  - {name: \(app), source: app-immich}

            """)
        }

        /// `stackbackup ARGS --config CONFIG` (repository and passphrase from the config).
        @discardableResult
        func run(_ arguments: [String]) throws -> CLIRunner.Result {
            try cli.runner.run(arguments + ["--config", config])
        }

        func drop() {
            try? TestPostgres.dropDatabase(umami)
            try? TestPostgres.dropDatabase(app)
            for name in [umami + "_copy", app + "_copy"] { try? TestPostgres.dropDatabase(name) }
            immichServer.stop()
        }
    }

    @Test func runBacksUpBothServersAndEachDatabaseRestoresOnItsOwnServer() throws {
        let stack = try Stack()
        defer { stack.drop() }
        let before = [
            "umami": try DatabaseComparator.snapshot(database: stack.umami, connection: stack.shared),
            "app-shared": try DatabaseComparator.snapshot(database: stack.app, connection: stack.shared),
            "app-immich": try DatabaseComparator.snapshot(database: stack.app, connection: stack.immich),
            "photos": try DatabaseComparator.snapshot(database: stack.photos, connection: stack.immich),
        ]

        let run = try stack.run(["run"])
        #expect(run.status == 0, "\(run)")
        let listed = try JSONSerialization.jsonObject(with: Data(try stack.run(["snapshots", "--json"]).stdout.utf8)) as? [[String: Any]] ?? []
        let servers = Dictionary(listed.map { ($0["source"] as? String ?? "?", $0["server"] as? String ?? "?") }, uniquingKeysWith: { a, _ in a })
        #expect(servers == [stack.umami: "shared", "app-shared": "shared", "globals-shared": "shared",
                            stack.photos: "immich", "app-immich": "immich", "globals-immich": "immich"], "\(listed)")
        let status = try #require(RunStatus.load(path: stack.cli.directory.sub("state/status.json")))
        #expect(Set(status.sources.keys) == Set(servers.keys))
        #expect(status.sources.values.allSatisfy { $0.lastSuccess != nil && $0.error == nil }, "\(status.sources)")
        let metrics = try String(contentsOfFile: stack.cli.directory.sub("state/metrics.prom"), encoding: .utf8)
        #expect(metrics.contains("stackbackup_last_success_timestamp_seconds{source=\"app-immich\",kind=\"postgres\"}"))
        #expect(metrics.contains("stackbackup_last_success_timestamp_seconds{source=\"globals-immich\",kind=\"globals\"}"))

        // Each database's snapshot is drilled on the server it came from.
        let drill = try stack.run(["verify", "--restore-drill", "all"])
        #expect(drill.status == 0, "\(drill)")
        let drilled = drill.stderr.split(separator: "\n").filter { $0.hasPrefix("drilling ") }
        #expect(drilled.contains { $0.hasPrefix("drilling app-immich ") && $0.hasSuffix(":\(stack.immich.port ?? 0)/postgres") }, "\(drill)")
        #expect(drilled.contains { $0.hasPrefix("drilling app-shared ") && $0.hasSuffix(":\(stack.shared.port ?? 0)/postgres") }, "\(drill)")

        // A database name on both servers: the error names them and how to choose.
        let ambiguous = try stack.run(["restore", stack.app, "--into", stack.app + "_copy"])
        #expect(ambiguous.status == 64, "\(ambiguous)")
        #expect(ambiguous.stderr.contains("database '\(stack.app)' is on 2 servers: shared (source app-shared), immich (source app-immich); give --server shared or --server immich"), "\(ambiguous)")
        let unknown = try stack.run(["restore", stack.app, "--server", "imich"])
        #expect(unknown.status == 64 && unknown.stderr.contains("no PostgreSQL server named 'imich' in the config; its servers: shared, immich"), "\(unknown)")

        // --server picks the immich server's database, restored there and not on the shared one.
        let onImmich = try stack.run(["restore", stack.app, "--server", "immich", "--into", stack.app + "_copy"])
        #expect(onImmich.status == 0, "\(onImmich)")
        #expect(onImmich.stderr.contains("on server immich"), "\(onImmich)")
        let restoredImmichApp = try DatabaseComparator.snapshot(database: stack.app + "_copy", connection: stack.immich)
        #expect(DatabaseComparator.differences(try #require(before["app-immich"]), restoredImmichApp, options: .renamed) == [])
        #expect(try !RestoreComparison.databaseExists(stack.app + "_copy", admin: stack.shared))

        // The source name needs no --server.
        let onShared = try stack.run(["restore", "app-shared", "--into", stack.app + "_copy"])
        #expect(onShared.status == 0, "\(onShared)")
        let restoredSharedApp = try DatabaseComparator.snapshot(database: stack.app + "_copy", connection: stack.shared)
        #expect(DatabaseComparator.differences(try #require(before["app-shared"]), restoredSharedApp, options: .renamed) == [])
        let umami = try stack.run(["restore", stack.umami, "--into", stack.umami + "_copy"])
        #expect(umami.status == 0, "\(umami)")
        let restoredUmami = try DatabaseComparator.snapshot(database: stack.umami + "_copy", connection: stack.shared)
        #expect(DatabaseComparator.differences(try #require(before["umami"]), restoredUmami, options: .renamed) == [])

        // The immich database and its owner gone: --with-roles takes the role
        // from the immich server's globals (the shared server never had it).
        let admin = try PGConnection.connect(stack.immich)
        try admin.execute("DROP DATABASE \(stack.photos)")
        try admin.execute("DROP ROLE \(stack.owner)")
        let photos = try stack.run(["restore", stack.photos, "--with-roles"])
        #expect(photos.status == 0, "\(photos)")
        #expect(try admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [stack.owner]).rowCount == 1, "the owner role was not recreated")
        let restoredPhotos = try DatabaseComparator.snapshot(database: stack.photos, connection: stack.immich)
        #expect(DatabaseComparator.differences(try #require(before["photos"]), restoredPhotos, options: .exact) == [])
        #expect(try !RestoreComparison.databaseExists(stack.photos, admin: stack.shared))
    }

    @Test func backupCommandsTakeServerAndSayWhereANameIsAmbiguous() throws {
        let stack = try Stack()
        defer { stack.drop() }
        let ambiguous = try stack.run(["backup", "db", stack.app])
        #expect(ambiguous.status == 64 && ambiguous.stderr.contains("give --server shared or --server immich"), "\(ambiguous)")
        #expect(ambiguous.stderr.split(separator: "\n").count == 1, "one line: \(ambiguous)")

        let one = try stack.run(["backup", "db", stack.app, "--server", "immich", "--json"])
        #expect(one.status == 0, "\(one)")
        let dumped = try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any]
        #expect(dumped?["source"] as? String == "app-immich" && dumped?["server"] as? String == "immich", "\(one)")

        let globals = try stack.run(["backup", "globals", "--server", "immich"])
        #expect(globals.status == 0 && globals.stderr.contains("globals-immich: snapshot"), "\(globals)")
        let listed = try JSONSerialization.jsonObject(with: Data(try stack.run(["snapshots", "--json"]).stdout.utf8)) as? [[String: Any]] ?? []
        #expect(listed.map { $0["source"] as? String ?? "?" }.sorted() == ["app-immich", "globals-immich"], "\(listed)")

        // db status: one report per server.
        let health = try stack.run(["db", "status", "--json"])
        #expect(health.status == 0 || health.status == 3, "\(health)")
        let reports = try JSONSerialization.jsonObject(with: Data(health.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(reports.map { $0["server"] as? String ?? "?" } == ["shared", "immich"], "\(health)")
        let immichNames = ((reports.last?["report"] as? [String: Any])?["databases"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(immichNames == [stack.photos, stack.app], "\(health)")
    }
}
