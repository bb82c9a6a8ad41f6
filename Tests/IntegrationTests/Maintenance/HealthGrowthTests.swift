import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// `db status` growth: the size now against the size the newest dump recorded.
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct HealthGrowthTests {
    @Test func growthIsTheSizeNowMinusTheSizeTheNewestDumpRecorded() throws {
        let admin = try #require(try TestPostgres.requireServer())
        let name = try TestPostgres.createScratchDatabase(prefix: "health_growth")
        let other = try TestPostgres.createScratchDatabase(prefix: "health_nodump")
        defer { try? TestPostgres.dropDatabase(name); try? TestPostgres.dropDatabase(other) }
        let db = admin.withDatabase(name)
        try PGConnection.connect(db).execute("CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) SELECT repeat('x', 200) FROM generate_series(1, 1000)")
        let (repository, _, directory) = try makeTestRepositoryFolder()
        defer { withExtendedLifetime(directory) {} }
        let (record, manifest) = try DrillFixture.backup(name, admin: admin, into: repository)
        let recorded = try #require(manifest.databaseSize)
        #expect(recorded > 0)

        try PGConnection.connect(db).execute("INSERT INTO notes (body) SELECT repeat('y', 200) FROM generate_series(1, 20000); CHECKPOINT")
        var report = try HealthCollector.collect(connection: admin, databases: [name, other])
        #expect(report.databases.allSatisfy { $0.growthSinceLastBackup == nil })
        try report.addGrowth(from: repository)
        let grown = try #require(report.databases.first { $0.name == name })
        #expect(grown.growthSinceLastBackup == grown.sizeBytes - recorded)
        #expect((grown.growthSinceLastBackup ?? 0) > 2_000_000, "20,000 rows of 200 bytes added")
        #expect(grown.lastBackupAt == record.snapshot.time)
        #expect(report.databases.first { $0.name == other }?.growthSinceLastBackup == nil, "a database never dumped has no growth")
    }
}
