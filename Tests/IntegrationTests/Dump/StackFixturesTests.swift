import StackBackupKit
import StackBackupTestSupport
import Testing

@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct StackFixturesTests {
    @Test func umamiLikeDatabaseHoldsTheRequestedEvents() throws {
        try #require(try TestPostgres.requireServer() != nil)
        try TestPostgres.withScratchDatabase(prefix: "fx_umami") { db in
            try StackFixtures.createUmamiLike(db: db, rows: 1000)
            let connection = try PGConnection.connect(db)
            #expect(try connection.execute("SELECT count(*) FROM website_event").int(0, 0) == 1000)
            #expect(try connection.execute("SELECT count(*) FROM session").int(0, 0) == 100)
        }
    }

    @Test func immichBackendAndAutheliaLikeDatabasesAreCreated() throws {
        try #require(try TestPostgres.requireServer() != nil)
        try TestPostgres.withScratchDatabase(prefix: "fx_immich") { db in
            try StackFixtures.createImmichLike(db: db, rows: 200)
            let connection = try PGConnection.connect(db)
            #expect(try connection.execute("SELECT count(*) FROM asset").int(0, 0) == 200)
            #expect(try connection.execute("SELECT count(*) FROM album_asset").int(0, 0) == 100)
            #expect(try connection.execute("SELECT sum(assets) FROM asset_stats").int(0, 0) == 200)
        }
        try TestPostgres.withScratchDatabase(prefix: "fx_backend") { db in
            try StackFixtures.createBackendLike(db: db, rows: 200)
            let connection = try PGConnection.connect(db)
            #expect(try connection.execute("SELECT count(*) FROM import_log").int(0, 0) == 40)
            #expect(try connection.execute("SELECT count(*) FROM measurements_2024").int(0, 0) ?? 0 > 0)
            #expect(try connection.execute("SELECT last_value FROM invoice_number").int(0, 0) == 5000)
            #expect(try connection.execute("SELECT count(*) FROM pg_largeobject_metadata").int(0, 0) == 1)
        }
        try TestPostgres.withScratchDatabase(prefix: "fx_authelia") { db in
            try StackFixtures.createAutheliaLike(db: db, rows: 200)
            let connection = try PGConnection.connect(db)
            #expect(try connection.execute("SELECT count(*) FROM authentication_logs").int(0, 0) == 200)
        }
    }
}
