import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// The dumper's manifests restored end to end: every stack fixture comes back
/// identical under another name.
@Suite(.serialized, .enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct DumpRestoreRoundTripTests {
    static let fixtures: [String] = ["umami", "immich", "backend", "authelia"]

    func fill(_ kind: String, _ db: PGConnectionConfig) throws {
        switch kind {
        case "umami": try StackFixtures.createUmamiLike(db: db, rows: 3000)
        case "immich": try StackFixtures.createImmichLike(db: db, rows: 300)
        case "backend": try StackFixtures.createBackendLike(db: db, rows: 1000)
        default: try StackFixtures.createAutheliaLike(db: db, rows: 300)
        }
    }

    func options() throws -> DumpOptions {
        DumpOptions(gear: try GearTable(seed: SecretBytes([UInt8](repeating: 9, count: 32))), jobs: 2, splitThresholdBytes: 64 << 10)
    }

    @Test(arguments: fixtures)
    func dumpedStackDatabaseRestoresIdenticallyUnderAnotherName(_ kind: String) throws {
        let server = try #require(try TestPostgres.requireServer())
        let admin = server.withDatabase("postgres")
        let name = try TestPostgres.createScratchDatabase(prefix: "rrt_\(kind)")
        let copy = name + "_copy"
        defer { try? TestPostgres.dropDatabase(name); try? TestPostgres.dropDatabase(copy) }
        try fill(kind, admin.withDatabase(name))
        let setup = try PGConnection.connect(admin)
        try setup.execute("COMMENT ON DATABASE \(name) IS 'the \(kind) database'; ALTER DATABASE \(name) SET work_mem = '8MB'")

        let store = MemoryBlobStore()
        let manifest = try DatabaseDumper(connection: admin, store: store, options: options()).dump(database: name).manifest
        let result = try DatabaseRestorer(connection: admin, store: store, manifest: manifest,
                                          options: RestoreOptions(target: copy, jobs: 2)).run()

        #expect(result.rows == manifest.tables.reduce(0) { $0 + $1.rows })
        #expect(try RestoreComparison.schema(copy) == RestoreComparison.schema(name))
        let original = try RestoreComparison.content(name, admin: admin)
        let restored = try RestoreComparison.content(copy, admin: admin)
        #expect(restored == original, "differs: \(Set(restored).symmetricDifference(original).sorted())")
        #expect(try RestoreComparison.properties(copy, admin: admin) == RestoreComparison.properties(name, admin: admin))
    }

    @Test func withRolesCreatesTheMissingOwnerFromTheGlobalsSnapshot() throws {
        let server = try #require(try TestPostgres.requireServer())
        let admin = server.withDatabase("postgres")
        let role = "sbr_globals_\(getpid())"
        let name = try TestPostgres.createScratchDatabase(prefix: "rrt_roles")
        let copy = name + "_copy"
        let connection = try PGConnection.connect(admin)
        defer {
            try? TestPostgres.dropDatabase(name)
            try? TestPostgres.dropDatabase(copy)
            _ = try? connection.execute("DROP ROLE IF EXISTS \(role)")
            _ = try? connection.execute("DROP ROLE IF EXISTS \(role)_renamed")
        }
        try connection.execute("CREATE ROLE \(role) LOGIN CONNECTION LIMIT 7; ALTER DATABASE \(name) OWNER TO \(role)")
        try StackFixtures.createAutheliaLike(db: admin.withDatabase(name), rows: 50)
        let db = try PGConnection.connect(admin.withDatabase(name))
        try db.execute("ALTER TABLE public.webauthn_devices OWNER TO \(role)")

        let store = MemoryBlobStore()
        let globals = try GlobalsDumper(connection: admin, store: store).dump().manifest
        let manifest = try DatabaseDumper(connection: admin, store: store, options: options()).dump(database: name).manifest
        // The role is gone from the server (as on a fresh one).
        try connection.execute("ALTER ROLE \(role) RENAME TO \(role)_renamed")

        let refused = try #require(throws: RestoreError.self) {
            try DatabaseRestorer(connection: admin, store: store, manifest: manifest,
                                 options: RestoreOptions(target: copy, withRoles: true)).run()
        }
        #expect(refused.description.contains("--with-roles needs a globals snapshot"))

        _ = try DatabaseRestorer(connection: admin, store: store, manifest: manifest,
                                 options: RestoreOptions(target: copy, withRoles: true, roles: globals)).run()
        let check = try connection.query("SELECT r.rolcanlogin, r.rolconnlimit, pg_get_userbyid(d.datdba) FROM pg_roles r, pg_database d WHERE r.rolname = $1 AND d.datname = $2", [role, copy])
        #expect(check.bool(0, 0) == true)
        #expect(check.int(0, 1) == 7)
        #expect(check.string(0, 2) == role)
        let owner = try PGConnection.connect(admin.withDatabase(copy)).execute("SELECT tableowner FROM pg_tables WHERE tablename = 'webauthn_devices'")
        #expect(owner.string(0, 0) == role)
    }

    /// pg_restore must read the archive: one older than the pg_dump that wrote
    /// it, or one that is missing, is refused before anything is created.
    @Test func aPgRestoreTooOldOrMissingIsRefusedBeforeAnythingChanges() throws {
        let server = try #require(try TestPostgres.requireServer())
        let admin = server.withDatabase("postgres")
        let name = try TestPostgres.createScratchDatabase(prefix: "rrt_pgrestore")
        let copy = name + "_copy"
        defer { try? TestPostgres.dropDatabase(name); try? TestPostgres.dropDatabase(copy) }
        try StackFixtures.createAutheliaLike(db: admin.withDatabase(name), rows: 20)
        let store = MemoryBlobStore()
        var manifest = try DatabaseDumper(connection: admin, store: store, options: options()).dump(database: name).manifest
        let schema = try #require(manifest.schema)
        #expect(schema.format == "custom" && schema.pgDumpMajor >= 15)

        // As if a newer pg_dump (a PostgreSQL 99 server's) had written it.
        manifest.schema?.pgDumpVersion = "99.1"
        let tooOld = try #require(throws: RestoreError.self) {
            try DatabaseRestorer(connection: admin, store: store, manifest: manifest,
                                 options: RestoreOptions(target: copy)).run()
        }
        #expect(tooOld.code == .invalidOptions)
        #expect(tooOld.description.contains("is too old"), "\(tooOld)")
        #expect(tooOld.description.contains("pg_dump 99.1") && tooOld.description.contains("a pg_restore 99 or newer"), "\(tooOld)")
        #expect(tooOld.description.contains("nothing was changed"))
        #expect(try RestoreComparison.databases(like: copy, admin: admin).isEmpty)

        manifest.schema = schema
        let missing = try #require(throws: RestoreError.self) {
            try DatabaseRestorer(connection: admin, store: store, manifest: manifest,
                                 options: RestoreOptions(target: copy, pgRestore: ["/nonexistent/bin/pg_restore"])).run()
        }
        #expect(missing.description.hasPrefix("could not run pg_restore (`/nonexistent/bin/pg_restore`)"), "\(missing)")
        #expect(missing.description.contains("point `pg_restore:` in the config"))
        #expect(try RestoreComparison.databases(like: copy, admin: admin).isEmpty)
    }

    /// A wrapper command (as `docker exec -i postgres pg_restore` would be)
    /// reads the archive on stdin and restores the same database.
    @Test func aWrapperPgRestoreReadsTheArchiveOnStdin() throws {
        let server = try #require(try TestPostgres.requireServer())
        let admin = server.withDatabase("postgres")
        let name = try TestPostgres.createScratchDatabase(prefix: "rrt_wrapper")
        let copy = name + "_copy"
        defer { try? TestPostgres.dropDatabase(name); try? TestPostgres.dropDatabase(copy) }
        try StackFixtures.createBackendLike(db: admin.withDatabase(name), rows: 200)
        let store = MemoryBlobStore()
        let manifest = try DatabaseDumper(connection: admin, store: store, options: options()).dump(database: name).manifest
        // `env pg_restore` is two words: the restorer cannot hand it a file, only stdin.
        let plan = try DatabaseRestorer(connection: admin, store: store, manifest: manifest,
                                        options: RestoreOptions(target: copy, jobs: 2, pgRestore: ["env", "pg_restore"])).plan()
        #expect(plan.steps.contains { $0.contains("post-data with env pg_restore on 1 connection(s)") }, "\(plan.steps)")
        _ = try DatabaseRestorer(connection: admin, store: store, manifest: manifest,
                                 options: RestoreOptions(target: copy, jobs: 2, pgRestore: ["env", "pg_restore"])).run()
        #expect(try RestoreComparison.schema(copy) == RestoreComparison.schema(name))
        #expect(try RestoreComparison.content(copy, admin: admin) == RestoreComparison.content(name, admin: admin))
    }
}
