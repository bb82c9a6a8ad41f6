import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// pgvector's types in binary COPY, and NOT NULL constraint names, on the
/// PostgreSQL 18 server with pgvector (scripts/test.sh starts it), through
/// the real binary with that server's pg_dump and pg_restore.
@Suite(.enabled(if: PG18.isConfigured || TestPostgres.isCI, "needs the PostgreSQL 18 wheel server: run bash scripts/test.sh"))
struct VectorCopyTests {
    /// A database on the 18 server, and a repository whose config points at that server's tools.
    final class Source {
        let server: PGConnectionConfig
        let name: String
        let cli: CLIRepository
        let config: String

        init(_ prefix: String, sql: String) throws {
            server = try PG18.require()
            name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
            let admin = try PGConnection.connect(server)
            try admin.execute("CREATE DATABASE \(admin.escapeIdentifier(name))")
            cli = try CLIRepository("stackbackup-vector")
            config = cli.directory.path + "/config.yml"
            try """
                repository: \(cli.repo)
                password_file: \(cli.passwordFile)
                postgres:
                  host: 127.0.0.1
                  port: \(server.port ?? 5432)
                  user: postgres
                  databases: [\(name)]
                  pg_dump: \(PG18.bin)/pg_dump
                  pg_restore: \(PG18.bin)/pg_restore
                """.write(toFile: config, atomically: true, encoding: .utf8)
            do {
                try PGConnection.connect(server.withDatabase(name)).execute(sql)
            } catch {
                drop()
                throw error
            }
        }

        func run(_ arguments: [String]) throws -> CLIRunner.Result {
            try cli.run(arguments + ["--config", config])
        }

        func manifest() throws -> DatabaseManifest {
            let repository = try cli.open()
            let record = try #require(try repository.latestSnapshot(source: name))
            return try repository.loadJSON(DatabaseManifest.self, id: record.snapshot.root)
        }

        func query(_ sql: String, database: String? = nil) throws -> [String] {
            let result = try PGConnection.connect(server.withDatabase(database ?? name)).execute(sql)
            return (0..<result.rowCount).map { row in
                (0..<result.columnCount).map { result.string(row, $0) ?? "NULL" }.joined(separator: "|")
            }
        }

        func exists(_ database: String) throws -> Bool {
            try PGConnection.connect(server).query("SELECT 1 FROM pg_database WHERE datname = $1", [database]).rowCount > 0
        }

        func drop() {
            guard let admin = try? PGConnection.connect(server) else { return }
            let like = try? admin.query("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [name])
            for row in 0..<(like?.rowCount ?? 0) {
                if let db = like?.string(row, 0) { _ = try? admin.execute("DROP DATABASE \(admin.escapeIdentifier(db)) WITH (FORCE)") }
            }
        }
    }

    static let vectorSchema = """
        CREATE EXTENSION vector;
        CREATE EXTENSION cube;
        CREATE TABLE smart_search (
            "assetId" uuid PRIMARY KEY,
            embedding vector(8) NOT NULL,
            half halfvec(4),
            sparse sparsevec(16)
        );
        INSERT INTO smart_search
        SELECT gen_random_uuid(),
               array(SELECT (random() * 2 - 1)::real FROM generate_series(1, 8) WHERE g > 0)::vector(8),
               CASE WHEN g % 5 = 0 THEN NULL ELSE array[g, -g, 0.5, 1e-3]::real[]::halfvec(4) END,
               CASE WHEN g % 7 = 0 THEN NULL ELSE ('{' || (1 + g % 16) || ':' || g || '.25}/16')::sparsevec END
        FROM generate_series(1, 3000) g;
        CREATE INDEX ON smart_search USING hnsw (embedding vector_cosine_ops);
        -- cube is an extension type outside the binary table: it stays text.
        CREATE TABLE boxes (id int PRIMARY KEY, box cube);
        INSERT INTO boxes SELECT g, cube(array[g, g + 1], array[g + 2, g + 3]) FROM generate_series(1, 100) g;
        """

    static let rowDigest = "SELECT count(*)::text, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM smart_search t"

    @Test func vectorColumnsAreCopiedInBinaryRecordedAndRestoredExactly() throws {
        let source = try Source("vecbin", sql: Self.vectorSchema)
        defer { source.drop() }
        let backup = try source.run(["backup", "db", source.name])
        try #require(backup.status == 0, "\(backup)")

        let manifest = try source.manifest()
        let version = try source.query("SELECT extversion FROM pg_extension WHERE extname = 'vector'")[0]
        let search = try #require(manifest.tables.first { $0.table.name == "smart_search" })
        #expect(search.format == "binary")
        #expect(search.extensionColumns == [
            ExtensionColumn(column: "embedding", type: "public.vector", extensionName: "vector", extensionVersion: version),
            ExtensionColumn(column: "half", type: "public.halfvec", extensionName: "vector", extensionVersion: version),
            ExtensionColumn(column: "sparse", type: "public.sparsevec", extensionName: "vector", extensionVersion: version),
        ])
        let boxes = try #require(manifest.tables.first { $0.table.name == "boxes" })
        #expect(boxes.format == "text" && boxes.extensionColumns == nil)

        let copy = source.name + "_copy"
        let restore = try source.run(["restore", source.name, "--into", copy])
        try #require(restore.status == 0, "\(restore)")
        #expect(try source.query(Self.rowDigest, database: copy) == source.query(Self.rowDigest))
        #expect(try source.query("SELECT count(*), md5(string_agg(box::text, ',' ORDER BY id)) FROM boxes", database: copy)
                == source.query("SELECT count(*), md5(string_agg(box::text, ',' ORDER BY id)) FROM boxes"))
        // The HNSW index came back and is used.
        let plan = try source.query("SET enable_seqscan = off; EXPLAIN SELECT 1 FROM smart_search ORDER BY embedding <=> '[1,0,0,0,0,0,0,0]' LIMIT 5", database: copy)
        #expect(plan.joined().contains("smart_search_embedding_idx"), "\(plan)")

        // A drill reads the binary stream back and checks its digest.
        let drill = try source.run(["verify", "--restore-drill", source.name])
        #expect(drill.status == 0, "\(drill)")
    }

    /// A snapshot that needs a newer pgvector than the server has is refused
    /// before anything is created. The manifest is rewritten through the
    /// repository API with the real key to say the data came from vector 99.1.
    @Test func aServerWithAnOlderPgvectorIsRefusedBeforeLoading() throws {
        let source = try Source("vecold", sql: Self.vectorSchema)
        defer { source.drop() }
        try #require(try source.run(["backup", "db", source.name]).status == 0)
        var manifest = try source.manifest()
        for i in manifest.tables.indices {
            manifest.tables[i].extensionColumns = manifest.tables[i].extensionColumns?.map {
                var column = $0
                column.extensionVersion = "99.1"
                return column
            }
        }
        let snapshot: ObjectID
        do {
            let repository = try source.cli.open()
            let old = try #require(try repository.latestSnapshot(source: source.name)).snapshot
            let root = try repository.saveJSON(manifest).id
            var forged = old
            forged.root = root
            forged.time = old.time.addingTimeInterval(60)
            snapshot = try repository.saveSnapshot(forged)
        }
        let copy = source.name + "_copy"
        let restore = try source.run(["restore", snapshot.hex, "--into", copy])
        #expect(restore.status == 1, "\(restore)")
        #expect(restore.stderr.contains("as vector 99.1 values in binary COPY format"), "\(restore.stderr)")
        #expect(restore.stderr.contains("install vector 99.1 or newer"), "\(restore.stderr)")
        #expect(restore.stderr.contains("nothing was changed"), "\(restore.stderr)")
        #expect(try !source.exists(copy))
        #expect(try source.query("SELECT count(*) FROM pg_database WHERE datname LIKE $$\(source.name)%restoring%$$") == ["0"])
    }

    /// PostgreSQL 18's pg_dump leaves out NOT NULL names that look like the
    /// default; when another table carries that name explicitly, pg_restore
    /// brings the constraint back as `…_not_null1`. stackbackup restores the name.
    @Test func notNullConstraintNamesComeBackExactly() throws {
        let source = try Source("vecnn", sql: """
            CREATE SCHEMA old;
            CREATE TABLE old.users (id int NOT NULL, name text NOT NULL);
            CREATE TABLE public.users (id int NOT NULL, name text NOT NULL, email text);
            -- A migration's backup of the table, moved beside the new one.
            ALTER TABLE old.users RENAME TO _bkp_users;
            ALTER TABLE old._bkp_users SET SCHEMA public;
            CREATE TABLE renamed (id int CONSTRAINT my_own_name NOT NULL);
            INSERT INTO users VALUES (1, 'a', 'a@example.org');
            """)
        defer { source.drop() }
        let names = """
            SELECT conrelid::regclass::text, conname FROM pg_constraint
            WHERE contype = 'n' AND connamespace = 'public'::regnamespace ORDER BY 1, 2
            """
        let before = try source.query(names)
        #expect(before.contains("users|users_id_not_null") && before.contains("_bkp_users|users_id_not_null"))

        // The anchor: pg_restore 18 renames the constraint.
        let dumpFile = source.cli.directory.path + "/nn.dump"
        _ = try PGClient.run(["\(PG18.bin)/pg_dump", "-Fc", "-f", dumpFile, source.name], server: source.server)
        let anchor = source.name + "_pgr"
        try PGConnection.connect(source.server).execute("CREATE DATABASE \(anchor)")
        _ = try PGClient.run(["\(PG18.bin)/pg_restore", "-d", anchor, dumpFile], server: source.server)
        #expect(try source.query(names, database: anchor).contains("users|users_id_not_null1"))

        try #require(try source.run(["backup", "db", source.name]).status == 0)
        let copy = source.name + "_copy"
        let restore = try source.run(["restore", source.name, "--into", copy])
        try #require(restore.status == 0, "\(restore)")
        #expect(try source.query(names, database: copy) == before)
    }
}

/// The PostgreSQL 18 server with pgvector that scripts/test.sh starts
/// (`STACKBACKUP_TEST_PG18_PORT`, `STACKBACKUP_TEST_PG18_BIN`).
enum PG18 {
    struct NotConfigured: Error, CustomStringConvertible { var description: String }
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var isConfigured: Bool { environment["STACKBACKUP_TEST_PG18_PORT"] != nil && environment["STACKBACKUP_TEST_PG18_BIN"] != nil }
    static var bin: String { environment["STACKBACKUP_TEST_PG18_BIN"] ?? "" }

    static func require() throws -> PGConnectionConfig {
        guard let port = environment["STACKBACKUP_TEST_PG18_PORT"].flatMap(Int.init), isConfigured else {
            throw NotConfigured(description: "STACKBACKUP_TEST_PG18_PORT/BIN are unset: scripts/test.sh starts the PostgreSQL 18 wheel server (scripts/pg-wheel.sh)")
        }
        return PGConnectionConfig(host: "127.0.0.1", port: port, user: "postgres", database: "postgres", applicationName: "stackbackup-tests")
    }
}
