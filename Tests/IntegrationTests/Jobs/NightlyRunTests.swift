import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct NightlyRunTests {
    /// A config with one database, one good volume and one whose folder is missing.
    func makeConfig(_ dir: TemporaryDirectory, database: String, server: PGConnectionConfig, extra: String = "") throws -> StackConfig {
        try FileManager.default.createDirectory(atPath: dir.sub("media/2026"), withIntermediateDirectories: true)
        _ = try dir.write("media/2026/photo.jpg", String(repeating: "pixel", count: 20_000))
        let yaml = """
        repository: \(dir.sub("repo"))
        postgres:
          host: \(server.host ?? "127.0.0.1")
          port: \(server.port ?? 5432)
          user: \(server.user ?? "postgres")
          databases: [\(database)]
        volumes:
          media:
            path: \(dir.sub("media"))
          gone:
            path: \(dir.sub("does-not-exist"))
        retention:
          keep_last: 1
        prune_every: 7d
        status_file: \(dir.sub("state/status.json"))
        metrics_file: \(dir.sub("state/stackbackup.prom"))
        \(extra)
        """
        return try StackConfig.parse(yaml: yaml, file: dir.sub("config.yml"))
    }

    @Test func runsDatabasesBeforeVolumesAndReportsAPartialFailure() throws {
        let server = try #require(try TestPostgres.requireServer())
        let database = try TestPostgres.createScratchDatabase(prefix: "nightly")
        defer { try? TestPostgres.dropDatabase(database) }
        try StackFixtures.createUmamiLike(db: server.withDatabase(database), rows: 300)
        let dir = TemporaryDirectory("nightly")
        let config = try makeConfig(dir, database: database, server: server)
        let repository = try Repository.initialize(backend: LocalBackend(path: dir.sub("repo")), passphrase: Array("pw".utf8), kdf: .testing)

        let events = EventLog()
        let nightly = NightlyRun(config: config, repository: repository) { events.append($0) }
        NightlySteps.install(on: nightly, config: config)
        let result = nightly.run()

        #expect(result.exitCode == 3)
        #expect(result.failures.count == 1)
        #expect(result.failures.first?.hasPrefix("gone:") == true)
        let status = result.status
        #expect(status.sources[database]?.lastSuccess != nil)
        #expect(status.sources["globals"]?.lastSuccess != nil)
        #expect(status.sources["media"]?.lastSuccess != nil)
        #expect(status.sources["gone"]?.error != nil)
        #expect(status.sources["gone"]?.lastSuccess == nil)

        // The database is dumped before any volume is read (Immich's guidance).
        let infos = events.lines
        let dumpIndex = try #require(infos.firstIndex { $0.contains("dumping database \(database)") })
        let volumeIndex = try #require(infos.firstIndex { $0.contains("backing up volume media") })
        #expect(dumpIndex < volumeIndex)

        // Status file and metrics are written and agree.
        let saved = try #require(RunStatus.load(path: dir.sub("state/status.json")))
        #expect(saved.exitCode == 3)
        let metrics = try String(contentsOfFile: dir.sub("state/stackbackup.prom"), encoding: .utf8)
        #expect(metrics.contains("stackbackup_last_success_timestamp_seconds{source=\"media\",kind=\"volume\"}"))
        #expect(metrics.contains("stackbackup_errors{source=\"gone\",kind=\"volume\"} 1"))
        #expect(metrics.contains("stackbackup_run_exit_code 3"))
        #expect(saved.steps["prune"]?.ok == true)
        #expect(saved.steps["verify"]?.ok == true)
    }

    @Test func secondRunForgetsByPolicyAndSkipsPruneUntilDue() throws {
        let server = try #require(try TestPostgres.requireServer())
        let database = try TestPostgres.createScratchDatabase(prefix: "nightly2")
        defer { try? TestPostgres.dropDatabase(database) }
        try StackFixtures.createUmamiLike(db: server.withDatabase(database), rows: 100)
        let dir = TemporaryDirectory("nightly2")
        let config = try makeConfig(dir, database: database, server: server)
        let repository = try Repository.initialize(backend: LocalBackend(path: dir.sub("repo")), passphrase: Array("pw".utf8), kdf: .testing)

        for _ in 0..<2 {
            let nightly = NightlyRun(config: config, repository: repository) { _ in }
            NightlySteps.install(on: nightly, config: config)
            _ = nightly.run()
        }
        let snapshots = try repository.listSnapshots().snapshots
        // keep_last 1 per source: one snapshot each of the database, globals and media.
        #expect(Dictionary(grouping: snapshots, by: \.snapshot.source).mapValues(\.count) == [database: 1, "globals": 1, "media": 1])
        let status = try #require(RunStatus.load(path: dir.sub("state/status.json")))
        // Pruned on the first night only: prune_every is 7 days.
        #expect(status.lastPrune != nil)
        #expect(status.verifyCoverage != nil)
    }
}

extension NightlyRunTests {
    @Test func drillsADatabaseOnTheConfiguredDay() throws {
        let server = try #require(try TestPostgres.requireServer())
        let database = try TestPostgres.createScratchDatabase(prefix: "nightly3")
        defer { try? TestPostgres.dropDatabase(database) }
        try StackFixtures.createUmamiLike(db: server.withDatabase(database), rows: 200)
        let dir = TemporaryDirectory("nightly3")
        let today = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"][Calendar.current.component(.weekday, from: Date()) - 1]
        let config = try makeConfig(dir, database: database, server: server, extra: "drill_day: \(today)")
        #expect(config.drillWeekday != nil)
        let repository = try Repository.initialize(backend: LocalBackend(path: dir.sub("repo")), passphrase: Array("pw".utf8), kdf: .testing)
        let nightly = NightlyRun(config: config, repository: repository) { _ in }
        NightlySteps.install(on: nightly, config: config)
        let result = nightly.run()
        let drill = try #require(result.status.steps["drill"])
        #expect(drill.ok, "\(drill.detail)")
        #expect(drill.detail.contains("passed"))
        let metrics = try String(contentsOfFile: dir.sub("state/stackbackup.prom"), encoding: .utf8)
        #expect(metrics.contains("stackbackup_step_ok{step=\"drill\"} 1"))
    }
}

extension NightlyRunTests {
    @Test func runsScheduledMaintenanceAndRecordsIt() throws {
        let server = try #require(try TestPostgres.requireServer())
        let database = try TestPostgres.createScratchDatabase(prefix: "nightly4")
        defer { try? TestPostgres.dropDatabase(database) }
        try StackFixtures.createAutheliaLike(db: server.withDatabase(database), rows: 50)
        let dir = TemporaryDirectory("nightly4")
        let config = try makeConfig(dir, database: database, server: server, extra: """
        maintenance:
          analyze: nightly
          reindex_invalid: weekly
        """)
        let repository = try Repository.initialize(backend: LocalBackend(path: dir.sub("repo")), passphrase: Array("pw".utf8), kdf: .testing)
        var firstReindex: Date?
        for night in 0..<2 {
            let nightly = NightlyRun(config: config, repository: repository) { _ in }
            NightlySteps.install(on: nightly, config: config)
            let result = nightly.run()
            let analyze = try #require(result.status.steps["maintenance-analyze"])
            #expect(analyze.ok, "\(analyze.detail)")
            let reindex = try #require(result.status.steps["maintenance-reindex-invalid"])
            #expect(reindex.ok)
            #expect(result.status.steps["maintenance-vacuum"] == nil)
            if night == 0 {
                firstReindex = reindex.lastRun
            } else {
                // Weekly: not run again the next night, so its time is unchanged;
                // nightly analyze ran again (a later time).
                // (The status file keeps whole seconds.)
                let first = try #require(firstReindex)
                #expect(abs(reindex.lastRun.timeIntervalSince(first)) < 1)
                #expect(reindex.lastRun != first, "the step was run again instead of kept from the status file")
            }
        }
    }
}

private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ event: RunEvent) {
        lock.withLock {
            switch event {
            case .info(let s), .warning(let s), .failure(let s): storage.append(s)
            case .progress: break
            }
        }
    }
    var lines: [String] { lock.withLock { storage } }
}
