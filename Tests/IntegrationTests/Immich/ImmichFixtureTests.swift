import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// An Immich database as Immich builds it (pgvector `vector(512)` embeddings with HNSW
/// indexes, earthdistance's `earth` through `ll_to_earth_public` and its GiST expression
/// index, a polygon column, the database's `search_path`), on PostgreSQL 18: backed up and
/// restored through the binary with that server's pg_dump and pg_restore, compared with the
/// source by the independent `DatabaseComparator`, and the restored indexes put to work.
@Suite(.enabled(if: OtherServer.configured(18) != nil || TestPostgres.isCI, "needs PostgreSQL 18 with pgvector: run bash scripts/test.sh"))
struct ImmichFixtureTests {
    static let assets = 3000

    @Test func theImmichFixtureRoundTripsExactlyOn18AndItsVectorAndEarthIndexesAnswerQueries() throws {
        guard let server = OtherServer.require(18) else { return }
        let source = try server.createScratchDatabase(prefix: "immich")
        defer { server.dropDatabases(startingWith: source) }
        try server.load(ImmichFixture.path, into: source, variables: ["assets": String(Self.assets)])

        let cli = try CLIRepository("stackbackup-immich")
        let config = try server.configFile(repository: cli, databases: [source])
        let backup = try cli.run(["backup", "db", source, "--config", config])
        try #require(backup.status == 0, "\(backup)")
        let copy = source + "_copy"
        let restore = try cli.run(["restore", source, "--into", copy, "--config", config])
        try #require(restore.status == 0, "\(restore)")

        let original = try server.state(source), restored = try server.state(copy)
        // The capture holds what makes this database Immich's, so an empty diff means something.
        let vectorTable = "CREATE TABLE public.smart_search (\n    \"assetId\" uuid NOT NULL,\n    embedding public.vector(512) NOT NULL\n);"
        #expect(original.schema["TABLE public.smart_search"]?.contains(vectorTable) == true, "\(original.schema["TABLE public.smart_search"] ?? "no smart_search")")
        for (index, definition) in [("clip_index", "USING hnsw (embedding public.vector_cosine_ops) WITH (ef_construction='300', m='16')"),
                                    ("face_index", "USING hnsw (embedding public.vector_cosine_ops)"),
                                    ("IDX_geodata_gist_earthcoord", "USING gist (public.ll_to_earth_public(latitude, longitude))")] {
            #expect(original.schema["INDEX public.\(index)"]?.contains(definition) == true, "\(original.schema["INDEX public.\(index)"] ?? "no \(index)")")
        }
        #expect(original.schema["FUNCTION public.ll_to_earth_public(double precision, double precision)"]?.contains("IMMUTABLE") == true)
        #expect(original.schema["TABLE public.naturalearth_countries"]?.contains("coordinates polygon NOT NULL") == true)
        #expect(original.properties["settings"] == "(all roles): search_path=\"$user\", public, vectors", "\(original.properties)")
        #expect(original.tables["public.smart_search"]?.rows == Int64(Self.assets) && original.tables["public.face_search"]?.rows == Int64(Self.assets))
        #expect((original.tables["public.geodata_places"]?.rows ?? 0) >= 10_000 && (original.tables["public.naturalearth_countries"]?.rows ?? 0) > 0)

        let differences = DatabaseComparator.differences(original, restored, options: .renamed)
        #expect(differences == [], "\(differences.joined(separator: "\n"))")

        let before = try PGConnection.connect(server.config.withDatabase(source))
        let after = try PGConnection.connect(server.config.withDatabase(copy))
        let indexes = try ImmichQueries.indexes(after)
        #expect(try indexes == ImmichQueries.indexes(before))
        #expect(indexes.count > 20 && indexes.allSatisfy { $0.hasSuffix(" valid") }, "\(indexes)")

        // The HNSW indexes are real: the planner orders by them, and a stored embedding finds its own row first.
        for (table, key, index, id) in [("smart_search", "assetId", "clip_index", "asset7"), ("face_search", "faceId", "face_index", "face8")] {
            let embedding = try #require(try before.query("SELECT embedding::text FROM \(table) WHERE \"\(key)\" = md5($1)::uuid", [id]).string(0, 0))
            let nearest = "SELECT \"\(key)\"::text FROM \(table) ORDER BY embedding <=> \(after.escapeLiteral(embedding))::vector LIMIT 5"
            let plan = try ImmichQueries.plan(after, nearest)
            #expect(plan.contains("Index Scan using \(index) on \(table)"), "\(plan)")
            let found = try after.execute(nearest)
            let expected = try before.query("SELECT md5($1)::uuid::text", [id]).string(0, 0)
            #expect(found.rowCount == 5 && found.string(0, 0) == expected, "\(table): nearest to \(id)'s own embedding")
        }

        // Immich's reverse geocoding: the nearest place inside a 25 km box, through the GiST expression index.
        let point = try before.execute("SELECT latitude, longitude, city FROM asset_exif WHERE latitude IS NOT NULL ORDER BY \"assetId\" LIMIT 1")
        let latitude = try #require(point.string(0, 0)), longitude = try #require(point.string(0, 1))
        let reverse = """
            SELECT name FROM geodata_places
             WHERE earth_box(ll_to_earth_public(\(latitude), \(longitude)), 25000) @> ll_to_earth_public(latitude, longitude)
             ORDER BY earth_distance(ll_to_earth_public(\(latitude), \(longitude)), ll_to_earth_public(latitude, longitude)) LIMIT 1
            """
        let plan = try ImmichQueries.plan(after, reverse)
        #expect(plan.contains("Index Scan on \"IDX_geodata_gist_earthcoord\"") || plan.contains("Index Scan using \"IDX_geodata_gist_earthcoord\""), "\(plan)")
        #expect(try after.execute(reverse).string(0, 0) == point.string(0, 2))
    }
}

enum ImmichQueries {
    /// EXPLAIN's text of `sql`, one line per plan node.
    static func plan(_ connection: PGConnection, _ sql: String) throws -> String {
        let result = try connection.execute("EXPLAIN " + sql)
        return (0..<result.rowCount).compactMap { result.string($0, 0) }.joined(separator: "\n")
    }

    /// "index valid|invalid" for every index of the public schema, sorted.
    static func indexes(_ connection: PGConnection) throws -> [String] {
        let result = try connection.execute("""
            SELECT c.relname || CASE WHEN i.indisvalid AND i.indisready THEN ' valid' ELSE ' invalid' END
              FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
             WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1
            """)
        return (0..<result.rowCount).compactMap { result.string($0, 0) }
    }
}
