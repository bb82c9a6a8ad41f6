import StackBackupKit
import StackBackupTestSupport
import Testing

@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct PostgresSnapshotTests {
    @Test func exportedSnapshotGivesASecondConnectionTheSameData() throws {
        try #require(try TestPostgres.requireServer() != nil)
        try TestPostgres.withScratchDatabase(prefix: "snapshot") { database in
            let setup = try PGConnection.connect(database)
            try setup.execute("CREATE TABLE events (id int); INSERT INTO events SELECT generate_series(1, 10)")

            let leader = try PGConnection.connect(database)
            try leader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let snapshot = try #require(try leader.execute("SELECT pg_export_snapshot()").string(0, 0))

            // Committed after the export: invisible to the snapshot.
            try setup.execute("INSERT INTO events SELECT generate_series(11, 15)")

            let worker = try PGConnection.connect(database)
            try worker.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try worker.execute("SET TRANSACTION SNAPSHOT \(worker.escapeLiteral(snapshot))")
            #expect(try worker.execute("SELECT count(*) FROM events").int(0, 0) == 10)
            #expect(try leader.execute("SELECT count(*) FROM events").int(0, 0) == 10)
            var copied = 0
            let rows = try worker.copyOut("COPY events TO STDOUT") { _ in copied += 1 }
            #expect(rows == 10 && copied == 10)
            try worker.execute("COMMIT")
            try leader.execute("COMMIT")

            #expect(try setup.execute("SELECT count(*) FROM events").int(0, 0) == 15)
        }
    }
}
