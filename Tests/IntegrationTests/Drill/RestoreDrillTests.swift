import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Restore drills against the real server: they pass on the stack fixtures,
/// fail naming the table when the repository's data was tampered with, and
/// never leave a scratch database behind — not even after SIGTERM.
@Suite(.serialized, .enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct RestoreDrillTests {
    func admin() throws -> PGConnectionConfig {
        try #require(try TestPostgres.requireServer()).withDatabase("postgres")
    }

    @Test(arguments: DrillFixture.kinds)
    func drillPassesOnAFreshDumpOfEachStackDatabase(_ kind: String) throws {
        let admin = try admin()
        let name = try TestPostgres.createScratchDatabase(prefix: "drill_\(kind)")
        defer { try? TestPostgres.dropDatabase(name) }
        try DrillFixture.fill(kind, admin.withDatabase(name))
        let repository = try TestRepository()
        let (record, manifest) = try DrillFixture.backup(name, admin: admin, into: repository)

        let report = try RestoreDrill(connection: admin, repository: repository, options: DrillOptions(jobs: 2)).run(snapshot: record)

        #expect(report.passed, "\(report.problems)")
        #expect(report.tablesChecked == manifest.tables.count)
        #expect(report.tables.allSatisfy { $0.rowsFound == $0.rowsExpected && $0.problem == nil })
        #expect(report.tables.contains { $0.digestMatches == true })
        // Tables split into key ranges are compared part by part too.
        for table in manifest.tables where table.parts.count > 1 && !table.orderedBy.isEmpty {
            #expect(report.tables.first { $0.table == table.table.description }?.digestMatches == true, "\(table.table)")
        }
        #expect(report.indexesChecked + report.constraintsChecked > 0)
        #expect(report.missingIndexes.isEmpty && report.missingConstraints.isEmpty)
        #expect(report.amcheck.status == "checked" || report.amcheck.note != nil)
        #expect(report.scratchDatabase.hasPrefix(RestoreDrill.scratchPrefix))
        #expect(try DrillFixture.leftovers(admin: admin) == [])
    }

    @Test func drillFailsNamingTheTableWhoseRowsWereChangedInTheRepository() throws {
        let admin = try admin()
        let name = try TestPostgres.createScratchDatabase(prefix: "drill_tamper")
        defer { try? TestPostgres.dropDatabase(name) }
        try DrillFixture.fill("umami", admin.withDatabase(name))
        let repository = try TestRepository()
        var (_, manifest) = try DrillFixture.backup(name, admin: admin, into: repository)

        // Change one letter in the first chunk of a text table: valid COPY data, same row count.
        let index = try #require(manifest.tables.firstIndex { table in
            table.format == "text" && table.rows > 0 && table.parts.count == 1 &&
                (try? repository.loadBlob(.data, id: table.parts[0].chunks[0]))?.contains { (0x67...0x79).contains($0) } == true
        })
        let chunkID = manifest.tables[index].parts[0].chunks[0]
        var bytes = try repository.loadBlob(.data, id: chunkID)
        let at = try #require(bytes.lastIndex { (0x67...0x79).contains($0) })
        bytes[at] += 1
        manifest.tables[index].parts[0].chunks[0] = try repository.saveBlob(.data, bytes: bytes).id
        let tampered = try DrillFixture.saveTampered(manifest, source: name, into: repository)

        let report = try RestoreDrill(connection: admin, repository: repository).run(snapshot: tampered)

        let table = manifest.tables[index].table.description
        #expect(!report.passed)
        #expect(report.problems.contains { $0.contains(table) }, "\(report.problems)")
        #expect(report.tables.filter { $0.problem != nil }.map(\.table) == [table])
        #expect(try DrillFixture.leftovers(admin: admin) == [])
    }

    @Test func drillFailsNamingTheTableWhosePartsPointAtAnotherTablesData() throws {
        let admin = try admin()
        let name = try TestPostgres.createScratchDatabase(prefix: "drill_swap")
        defer { try? TestPostgres.dropDatabase(name) }
        try DrillFixture.fill("backend", admin.withDatabase(name))
        let repository = try TestRepository()
        var (_, manifest) = try DrillFixture.backup(name, admin: admin, into: repository)

        let withRows = manifest.tables.indices.filter { manifest.tables[$0].rows > 0 }
        let victim = try #require(withRows.first)
        let donor = try #require(withRows.first { manifest.tables[$0].columns.count != manifest.tables[victim].columns.count })
        manifest.tables[victim].parts = manifest.tables[donor].parts
        let tampered = try DrillFixture.saveTampered(manifest, source: name, into: repository)

        let report = try RestoreDrill(connection: admin, repository: repository).run(snapshot: tampered)

        let table = manifest.tables[victim].table.description
        #expect(!report.passed)
        #expect(report.problems.contains { $0.contains(table) }, "\(report.problems)")
        #expect(try DrillFixture.leftovers(admin: admin) == [])
    }

    @Test func allDrillsTheLatestSnapshotOfEveryDatabase() throws {
        let admin = try admin()
        let first = try TestPostgres.createScratchDatabase(prefix: "drill_all_a")
        let second = try TestPostgres.createScratchDatabase(prefix: "drill_all_b")
        defer { try? TestPostgres.dropDatabase(first); try? TestPostgres.dropDatabase(second) }
        try DrillFixture.fill("authelia", admin.withDatabase(first), rows: 50)
        try DrillFixture.fill("authelia", admin.withDatabase(second), rows: 60)
        let repository = try TestRepository()
        try DrillFixture.backup(first, admin: admin, into: repository)
        try DrillFixture.backup(second, admin: admin, into: repository)
        let (latest, _) = try DrillFixture.backup(first, admin: admin, into: repository)

        let records = try RestoreDrill.latestDatabaseSnapshots(in: repository)
        #expect(records.map(\.snapshot.source) == [first, second].sorted())
        #expect(records.contains { $0.id == latest.id })
    }

    @Test func sigtermDuringADrillDropsTheScratchDatabaseAndExits143() throws {
        let admin = try admin()
        let name = try TestPostgres.createScratchDatabase(prefix: "drill_sigterm")
        defer { try? TestPostgres.dropDatabase(name) }
        try DrillFixture.fill("umami", admin.withDatabase(name), rows: 150_000)
        let (repository, _, directory) = try makeTestRepositoryFolder(passphrase: "drill-pass")
        try DrillFixture.backup(name, admin: admin, into: repository)
        let repoPath = directory.sub("repo")

        let runner = CLIRunner(environment: ["STACKBACKUP_PASSWORD": "drill-pass"])
        let process = try runner.start(["verify", "--repo", repoPath, "--restore-drill", name])
        // Wait until the drill has created its scratch database.
        let deadline = Date().addingTimeInterval(60)
        var seen = false
        while Date() < deadline && process.isRunning {
            if try !DrillFixture.leftovers(admin: admin).isEmpty { seen = true; break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(seen, "the drill never created its scratch database")
        // Signal it while it is loading data into that database, not before.
        let working = try Poll.until(timeout: 60) {
            try !process.isRunning || DrillFixture.isWorking(admin: admin, inDatabasesStartingWith: "stackbackup_drill_")
        }
        #expect(working)
        let stillRunning = process.isRunning
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()

        #expect(stillRunning, "the drill ended before SIGTERM: make the fixture larger")
        #expect(process.terminationStatus == 143)
        #expect(try DrillFixture.leftovers(admin: admin) == [])
    }

    @Test func cliDrillPrintsATablePerDatabaseAndExitsZero() throws {
        let admin = try admin()
        let name = try TestPostgres.createScratchDatabase(prefix: "drill_cli")
        defer { try? TestPostgres.dropDatabase(name) }
        try DrillFixture.fill("authelia", admin.withDatabase(name), rows: 40)
        let (repository, _, directory) = try makeTestRepositoryFolder(passphrase: "drill-pass")
        try DrillFixture.backup(name, admin: admin, into: repository)
        let runner = CLIRunner(environment: ["STACKBACKUP_PASSWORD": "drill-pass"])

        let human = try runner.run(["verify", "--repo", directory.sub("repo"), "--restore-drill", "all"])
        #expect(human.status == 0, "\(human)")
        #expect(human.stdout.contains("rows expected"))
        #expect(human.stdout.hasSuffix("passed\n"))

        let json = try runner.run(["verify", "--repo", directory.sub("repo"), "--restore-drill", name, "--json"])
        #expect(json.status == 0, "\(json)")
        #expect(json.stdout.contains("\"passed\" : true"))
        #expect(try DrillFixture.leftovers(admin: admin) == [])

        // --drill-server takes a conninfo; the environment points at a closed port,
        // so the drill passes only if the conninfo's port is used.
        let elsewhere = CLIRunner(environment: ["STACKBACKUP_PASSWORD": "drill-pass", "PGPORT": "1"])
        let conninfo = "host=\(admin.host ?? "127.0.0.1") port=\(admin.port ?? 5432) connect_timeout='5'"
        let viaConninfo = try elsewhere.run(["verify", "--repo", directory.sub("repo"), "--restore-drill", name, "--drill-server", conninfo])
        #expect(viaConninfo.status == 0 && viaConninfo.stdout.hasSuffix("passed\n"), "\(viaConninfo)")
        let withPassword = try elsewhere.run(["verify", "--repo", directory.sub("repo"), "--restore-drill", name,
                                              "--drill-server", "host=localhost password=secret"])
        #expect(withPassword.status == 64 && withPassword.stderr.contains("never put a password on the command line"), "\(withPassword)")
        #expect(try DrillFixture.leftovers(admin: admin) == [])
    }
}
