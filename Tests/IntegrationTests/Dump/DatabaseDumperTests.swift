import Foundation
import StackBackupKit
import StackBackupTestSupport
import Synchronization
import Testing

/// Dump options with a fixed chunker seed, as a test repository would have.
func dumpOptions(jobs: Int = 2, lockTimeout: TimeInterval = 30, split: Int64 = 256 << 20) throws -> DumpOptions {
    let gear = try GearTable(seed: SecretBytes([UInt8](repeating: 7, count: 32)))
    return DumpOptions(gear: gear, jobs: jobs, lockTimeout: lockTimeout, splitThresholdBytes: split)
}

@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct DatabaseDumperTests {
    @Test func manifestListsLeafTablesWithRowCountsKeysSequencesAndLargeObjects() throws {
        let server = try #require(try TestPostgres.requireServer())
        try TestPostgres.withScratchDatabase(prefix: "dump_backend") { db in
            try StackFixtures.createBackendLike(db: db, rows: 2000)
            let store = DumpTestStore()
            let result = try DatabaseDumper(connection: server, store: store, options: dumpOptions()).dump(database: db.database ?? "")
            let manifest = result.manifest
            let names = Set(manifest.tables.map(\.table.description))
            #expect(names == ["public.directus_users", "public.directus_activity", "public.directus_revisions", "public.articles",
                              "public.import_log", "public.measurements_2023", "public.measurements_2024"])

            let check = try PGConnection.connect(db)
            for table in manifest.tables {
                let count = try check.execute("SELECT count(*) FROM \(table.table)").int(0, 0)
                #expect(table.rows == count, "rows of \(table.table)")
            }
            let byName = Dictionary(uniqueKeysWithValues: manifest.tables.map { ($0.table.name, $0) })
            #expect(byName["directus_users"]?.orderedBy == ["id"])
            #expect(byName["measurements_2023"]?.orderedBy == ["sensor", "recorded_on"])
            #expect(byName["import_log"]?.orderedBy == [])
            #expect(byName["directus_activity"]?.columns == ["id", "action", "user", "timestamp", "ip", "collection", "item", "comment"])
            // Largest first.
            #expect(manifest.tables.first?.table.name == "directus_activity")

            let sequence = try #require(manifest.sequences.first { $0.sequence.name == "invoice_number" })
            #expect(sequence.lastValue == 5000 && sequence.isCalled)
            #expect(manifest.largeObjects.count == 1)
            #expect(manifest.largeObjects.first?.bytes == 42000)
            let lo = try store.text(manifest.largeObjects.first?.chunks ?? [])
            #expect(lo.hasPrefix("large object payload large object payload"))

            // The schema is pg_dump's archive; the plain-SQL sections of version 1 stay empty.
            #expect(manifest.version == 2 && manifest.preData.isEmpty && manifest.postData.isEmpty)
            let pre = try store.schemaSQL(manifest, section: "pre-data")
            let post = try store.schemaSQL(manifest, section: "post-data")
            #expect(pre.contains("CREATE TABLE public.articles"))
            #expect(pre.contains("CREATE TYPE public.article_status AS ENUM"))
            #expect(!pre.contains("COPY public.articles"), "no table data in the archive")
            #expect(post.contains("PRIMARY KEY (id)"))
            #expect(post.contains("CREATE TRIGGER articles_touch"))
            #expect(manifest.properties.encoding == "UTF8")
            #expect(result.stats.tables == 7 && result.stats.rows == manifest.tables.reduce(0) { $0 + $1.rows })

            // Text COPY chunks end at row ends.
            for table in manifest.tables where table.format == "text" {
                for chunk in table.parts.flatMap(\.chunks) {
                    #expect(try store.loadBlob(.data, id: chunk).last == UInt8(ascii: "\n"))
                }
            }
            // The digest is the SHA-256 of the concatenated stream.
            let activity = try #require(byName["directus_activity"])
            let stream = try store.stream(activity.parts[0].chunks)
            #expect(SHA256.hash(stream).hex == activity.parts[0].digest)
            #expect(Int64(stream.count) == activity.bytes)
        }
    }

    @Test func binaryFormatOnlyForStableTypesAndMaterializedViewsListed() throws {
        let server = try #require(try TestPostgres.requireServer())
        try TestPostgres.withScratchDatabase(prefix: "dump_immich") { db in
            try StackFixtures.createImmichLike(db: db, rows: 500)
            let store = DumpTestStore()
            let manifest = try DatabaseDumper(connection: server, store: store, options: dumpOptions()).dump(database: db.database ?? "").manifest
            let byName = Dictionary(uniqueKeysWithValues: manifest.tables.map { ($0.table.name, $0) })
            #expect(byName["smart_search"]?.format == "binary")
            #expect(byName["album_asset"]?.format == "binary")
            #expect(byName["asset"]?.format == "text")
            #expect(byName["album_asset"]?.orderedBy == ["album_id", "asset_id"])
            #expect(byName["asset_stats"] == nil)
            #expect(manifest.materializedViews == [QualifiedName(schema: "public", name: "asset_stats")])
            #expect(manifest.extensions["uuid-ossp"] != nil)
            #expect(byName["smart_search"]?.rows == 500)
        }
    }

    @Test func dumpingTwiceWithoutChangesAddsNoDataBlobs() throws {
        let server = try #require(try TestPostgres.requireServer())
        try TestPostgres.withScratchDatabase(prefix: "dump_twice") { db in
            try StackFixtures.createUmamiLike(db: db, rows: 20000)
            let store = DumpTestStore()
            let dumper = DatabaseDumper(connection: server, store: store, options: try dumpOptions())
            let first = try dumper.dump(database: db.database ?? "")
            let blobs = store.dataBlobCount
            #expect(blobs > 3)
            let second = try dumper.dump(database: db.database ?? "")
            // At most the schema archive's first chunk, whose header holds pg_dump's clock, and the manifest.
            #expect(store.dataBlobCount <= blobs + 1)
            #expect(second.stats.blobsAdded <= 2)
            #expect(second.manifest.tables == first.manifest.tables)
            let firstSchema = try #require(first.manifest.schema), secondSchema = try #require(second.manifest.schema)
            #expect(firstSchema.chunks.count >= 2, "the archive head is a chunk of its own")
            #expect(secondSchema.chunks.dropFirst() == firstSchema.chunks.dropFirst())
        }
    }

    @Test func secondDumpAfterTwoPercentUpdatesAddsLittle() throws {
        let server = try #require(try TestPostgres.requireServer())
        try TestPostgres.withScratchDatabase(prefix: "dump_update") { db in
            try StackFixtures.createUmamiLike(db: db, rows: 100_000)
            let store = DumpTestStore()
            let dumper = DatabaseDumper(connection: server, store: store, options: try dumpOptions())
            let first = try dumper.dump(database: db.database ?? "")
            let writer = try PGConnection.connect(db)
            // A day of traffic: ~2% of events edited (one stretch of time, as an app
            // touches related rows) and a few hundred new ones with random v4 uuids.
            // The key is scattered, so rows go in created_at order: the edits stay in
            // their chunks and the new rows append (in key order they would land in
            // every chunk).
            #expect(first.manifest.tables.first { $0.table.name == "website_event" }?.orderedBy == ["created_at", "event_id"])
            let updated = try writer.execute("""
                UPDATE website_event SET page_title = page_title || ' (edited)', event_data = '{"edited": true}'
                WHERE created_at >= timestamptz '\(StackFixtures.epoch)' + 50000 * interval '3.7 seconds'
                  AND created_at < timestamptz '\(StackFixtures.epoch)' + 52000 * interval '3.7 seconds'
                """).commandTuples ?? 0
            #expect(updated == 2000)
            try writer.execute("""
                INSERT INTO website_event (event_id, website_id, session_id, created_at, url_path)
                SELECT gen_random_uuid(), md5('website1')::uuid, md5('session1')::uuid, now(), '/new' FROM generate_series(1, 300) AS i
                """)
            try writer.execute("VACUUM website_event")
            let second = try dumper.dump(database: db.database ?? "")
            let ratio = Double(second.stats.bytesAdded) / Double(first.stats.bytesAdded)
            #expect(ratio < 0.30, "second dump added \(second.stats.bytesAdded) of \(first.stats.bytesAdded) bytes")
            #expect(second.manifest.tables.first { $0.table.name == "website_event" }?.rows == 100_300)
        }
    }

    @Test func workersShareOneSnapshot() throws {
        let server = try #require(try TestPostgres.requireServer())
        try TestPostgres.withScratchDatabase(prefix: "dump_snapshot") { db in
            let setup = try PGConnection.connect(db)
            for i in 1...8 {
                try setup.execute("CREATE TABLE t\(i) (id serial PRIMARY KEY, v text); INSERT INTO t\(i) (v) SELECT repeat('x', 100) FROM generate_series(1, \(1000 * i))")
            }
            let writer = try PGConnection.connect(db)
            let wrote = Mutex(false)
            let dumper = DatabaseDumper(connection: server, store: DumpTestStore(), options: try dumpOptions(jobs: 2)) { _ in
                guard wrote.withLock({ wrote in defer { wrote = true }; return !wrote }) else { return }
                // Committed after the export: no worker may see these rows.
                for i in 1...8 { _ = try? writer.execute("INSERT INTO t\(i) (v) SELECT 'late' FROM generate_series(1, 50)") }
            }
            let manifest = try dumper.dump(database: db.database ?? "").manifest
            #expect(wrote.withLock { $0 })
            for table in manifest.tables {
                let n = Int64(table.table.name.dropFirst()) ?? 0
                #expect(table.rows == 1000 * n, "rows of \(table.table)")
            }
            #expect(try setup.execute("SELECT count(*) FROM t8").int(0, 0) == 8050)
        }
    }

    @Test func lockedTableFailsTheDumpWithinLockTimeoutNamingIt() throws {
        let server = try #require(try TestPostgres.requireServer())
        try TestPostgres.withScratchDatabase(prefix: "dump_lock") { db in
            try StackFixtures.createAutheliaLike(db: db, rows: 100)
            let app = try PGConnection.connect(db)
            try app.execute("BEGIN; LOCK TABLE public.totp_configurations IN ACCESS EXCLUSIVE MODE")
            let started = Date()
            let error = #expect(throws: DumpError.self) {
                try DatabaseDumper(connection: server, store: DumpTestStore(), options: try dumpOptions(lockTimeout: 1)).dump(database: db.database ?? "")
            }
            #expect(Date().timeIntervalSince(started) < 10)
            #expect(error?.description == "could not lock public.totp_configurations within 1s: an application holds a conflicting lock; retry later")
            try app.execute("ROLLBACK")
        }
    }

    @Test func splitTablesConcatenateToTheWholeTableInKeyOrder() throws {
        let server = try #require(try TestPostgres.requireServer())
        try TestPostgres.withScratchDatabase(prefix: "dump_split") { db in
            try StackFixtures.createBackendLike(db: db, rows: 20000)
            let store = DumpTestStore()
            let whole = try DatabaseDumper(connection: server, store: store, options: dumpOptions()).dump(database: db.database ?? "").manifest
            let split = try DatabaseDumper(connection: server, store: store, options: dumpOptions(jobs: 2, split: 128 << 10))
                .dump(database: db.database ?? "").manifest
            let wholeByName = Dictionary(uniqueKeysWithValues: whole.tables.map { ($0.table.name, $0) })
            let activity = try #require(split.tables.first { $0.table.name == "directus_activity" })
            #expect(activity.parts.count > 1)
            let full = try #require(wholeByName["directus_activity"])
            #expect(try store.stream(activity.parts.flatMap(\.chunks)) == store.stream(full.parts.flatMap(\.chunks)))
            let log = try #require(split.tables.first { $0.table.name == "import_log" })
            #expect(log.parts.count > 1)
            #expect(log.rows == 4000)
            for table in split.tables { #expect(table.rows == wholeByName[table.table.name]?.rows) }
        }
    }

    @Test func hugeValuesAreChunkedWithBoundedChunksAndBackslashLinesInFunctionsSurvive() throws {
        let server = try #require(try TestPostgres.requireServer())
        try TestPostgres.withScratchDatabase(prefix: "dump_huge") { db in
            let setup = try PGConnection.connect(db)
            try setup.execute("""
                CREATE TABLE blobs (id int PRIMARY KEY, body text);
                INSERT INTO blobs SELECT 1, repeat(md5('a'), 20 * 1024 * 1024 / 32);
                INSERT INTO blobs SELECT i, 'small ' || i FROM generate_series(2, 100) AS i;
                CREATE FUNCTION odd() RETURNS text LANGUAGE sql AS $$ SELECT '
                \\connect is text in this literal' $$;
                """)
            let store = DumpTestStore()
            let options = try dumpOptions()
            let manifest = try DatabaseDumper(connection: server, store: store, options: options).dump(database: db.database ?? "").manifest
            let table = try #require(manifest.tables.first)
            #expect(table.rows == 100)
            #expect(table.bytes > 20 << 20)
            for chunk in table.parts[0].chunks {
                #expect(try store.loadBlob(.data, id: chunk).count <= options.chunker.maxSize * 4)
            }
            #expect(SHA256.hash(try store.stream(table.parts[0].chunks)).hex == table.parts[0].digest)
            #expect(try store.schemaSQL(manifest, section: "pre-data").contains("\n\\connect is text in this literal"))
        }
    }

    @Test func olderPgDumpIsRefusedWithHowToFixIt() throws {
        let server = try #require(try TestPostgres.requireServer())
        let dir = TemporaryDirectory()
        let script = try dir.write("pg_dump", "#!/bin/sh\necho 'pg_dump (PostgreSQL) 14.9'\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        var options = try dumpOptions()
        options.pgDump = [script]
        let error = #expect(throws: DumpError.self) {
            try DatabaseDumper(connection: server, store: DumpTestStore(), options: options).dump(database: "postgres")
        }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("pg_dump 14.9 cannot dump server 1"))
        #expect(text.contains("point `pg_dump:` in the config at a pg_dump ≥"))
    }

    @Test func aMissingPgDumpIsReportedWithHowToFixIt() throws {
        let server = try #require(try TestPostgres.requireServer())
        var options = try dumpOptions()
        options.pgDump = ["/nonexistent/bin/pg_dump"]
        let store = DumpTestStore()
        let error = #expect(throws: DumpError.self) {
            try DatabaseDumper(connection: server, store: store, options: options).dump(database: "postgres")
        }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("could not run pg_dump (`/nonexistent/bin/pg_dump`)"), "\(text)")
        #expect(text.contains("point `pg_dump:` in the config at it"))
    }

    @Test func unknownDatabaseIsReportedByName() throws {
        let server = try #require(try TestPostgres.requireServer())
        let error = #expect(throws: DumpError.self) {
            try DatabaseDumper(connection: server, store: DumpTestStore(), options: try dumpOptions()).dump(database: "sbt_no_such_db")
        }
        #expect(error?.description.contains("sbt_no_such_db") == true)
    }
}
