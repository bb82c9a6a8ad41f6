import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

@Suite(.serialized, .enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct DatabaseRestoreTests {
    /// A fixture, its manifest and the store holding it.
    struct Dumped {
        var fixture: RestoreFixture
        var store: RestoreTestStore
        var manifest: DatabaseManifest
        var admin: PGConnectionConfig { fixture.admin.withDatabase("postgres") }

        func restorer(_ options: RestoreOptions, progress: ((RestoreProgress) -> Void)? = nil) -> DatabaseRestorer {
            DatabaseRestorer(connection: admin, store: store, manifest: manifest, options: options, progress: progress)
        }
    }

    func dumped(_ prefix: String) throws -> Dumped? {
        guard let admin = try TestPostgres.requireServer() else { return nil }
        let fixture = try RestoreFixture.make(prefix: prefix, admin: admin)
        let store = RestoreTestStore()
        let manifest = try RestoreManifestBuilder.build(database: fixture.database, admin: admin, store: store,
                                                        binaryTables: ["public.session"], rowsPerChunk: 700)
        return Dumped(fixture: fixture, store: store, manifest: manifest)
    }

    @Test func roundTripIntoAnotherNameKeepsDataSchemaAndDatabaseProperties() throws {
        guard let d = try dumped("rt") else { return }
        defer { d.fixture.drop() }
        let copy = d.fixture.database + "_copy"
        var phases: [String] = []
        let lock = NSLock()
        let result = try d.restorer(RestoreOptions(target: copy, jobs: 2)) { progress in
            lock.withLock { phases.append(progress.phase) }
        }.run()

        #expect(result.database == copy)
        #expect(result.tables == d.manifest.tables.count)
        #expect(result.rows == d.manifest.tables.reduce(0) { $0 + $1.rows })
        #expect(result.keptOldAs == nil)
        #expect(try RestoreComparison.schema(copy) == RestoreComparison.schema(d.fixture.database))
        let original = try RestoreComparison.content(d.fixture.database, admin: d.admin)
        #expect(original.count > 8)
        let restored = try RestoreComparison.content(copy, admin: d.admin)
        #expect(restored == original, "differs: \(Set(restored).symmetricDifference(original).sorted())")
        #expect(try RestoreComparison.properties(copy, admin: d.admin) == RestoreComparison.properties(d.fixture.database, admin: d.admin))
        #expect(try RestoreComparison.databases(like: copy + "__restoring_", admin: d.admin).isEmpty)
        #expect(phases.contains("data") && phases.last == "swap")
    }

    @Test func comparisonNoticesOneChangedRow() throws {
        guard let d = try dumped("cmp") else { return }
        defer { d.fixture.drop() }
        let copy = d.fixture.database + "_copy"
        _ = try d.restorer(RestoreOptions(target: copy)).run()
        let connection = try PGConnection.connect(d.admin.withDatabase(copy))
        try connection.execute("UPDATE extra.\"Mixed Case\" SET \"Value\" = 'changed' WHERE \"Key\" = 3")
        #expect(try RestoreComparison.content(copy, admin: d.admin) != RestoreComparison.content(d.fixture.database, admin: d.admin))
    }

    @Test func refusesAnExistingTargetThatHoldsDataAndChangesNothing() throws {
        guard let d = try dumped("refuse") else { return }
        defer { d.fixture.drop() }
        let before = try RestoreComparison.content(d.fixture.database, admin: d.admin)
        let error = try #require(throws: RestoreError.self) {
            try d.restorer(RestoreOptions(target: d.fixture.database)).run()
        }
        #expect(error.code == .targetHoldsData)
        #expect(error.description == "database \(d.fixture.database) exists and holds data; use --replace to swap it in after a full restore, or --into NEWNAME")
        #expect(try RestoreComparison.content(d.fixture.database, admin: d.admin) == before)
        #expect(try RestoreComparison.databases(like: d.fixture.database + "_", admin: d.admin).isEmpty)
    }

    @Test func restoresIntoAnExistingEmptyDatabase() throws {
        guard let d = try dumped("empty") else { return }
        defer { d.fixture.drop() }
        let target = d.fixture.database + "_empty"
        let admin = try PGConnection.connect(d.admin)
        try admin.execute("CREATE DATABASE \(target)")
        _ = try d.restorer(RestoreOptions(target: target)).run()
        #expect(try RestoreComparison.content(target, admin: d.admin) == RestoreComparison.content(d.fixture.database, admin: d.admin))
    }

    @Test func replaceSwapsOnlyAfterSuccessAndKeepsTheOldDatabase() throws {
        guard let d = try dumped("replace") else { return }
        defer { d.fixture.drop() }
        let dumpedContent = try RestoreComparison.content(d.fixture.database, admin: d.admin)
        // The live database moves on after the dump, and has a session open.
        let live = try PGConnection.connect(d.admin.withDatabase(d.fixture.database))
        try live.execute("INSERT INTO extra.\"Mixed Case\" VALUES (99, 'after the dump')")
        let changed = try RestoreComparison.content(d.fixture.database, admin: d.admin)

        let result = try d.restorer(RestoreOptions(target: d.fixture.database, replace: true)).run()

        let old = try #require(result.keptOldAs)
        #expect(old.hasPrefix(d.fixture.database + "_before_"))
        #expect(try RestoreComparison.content(d.fixture.database, admin: d.admin) == dumpedContent)
        #expect(try RestoreComparison.content(old, admin: d.admin) == changed)
        #expect(throws: PGError.self) { try live.execute("SELECT 1") }
    }

    @Test func replaceWithDropOldLeavesNoOldDatabase() throws {
        guard let d = try dumped("dropold") else { return }
        defer { d.fixture.drop() }
        let result = try d.restorer(RestoreOptions(target: d.fixture.database, replace: true, dropOld: true)).run()
        #expect(result.keptOldAs == nil)
        #expect(try RestoreComparison.databases(like: d.fixture.database + "_", admin: d.admin).isEmpty)
    }

    @Test func corruptedTableDataFailsHalfWayAndLeavesTheOriginalUntouched() throws {
        guard let d = try dumped("corrupt") else { return }
        defer { d.fixture.drop() }
        let before = try RestoreComparison.content(d.fixture.database, admin: d.admin)
        let table = try #require(d.manifest.tables.first { $0.table.name == "website_event" })
        let chunk = try #require(table.parts.first?.chunks.last)
        d.store.overwrite(chunk, with: Array("not\ta\tvalid\trow\n".utf8))

        let error = try #require(throws: RestoreError.self) {
            try d.restorer(RestoreOptions(target: d.fixture.database, replace: true)).run()
        }
        #expect(error.code == .damaged) // data the server refuses disagrees with the snapshot's own schema
        #expect(error.step == "table data")
        #expect(error.description.contains("public.website_event"))
        #expect(error.description.contains("untouched"))
        #expect(try RestoreComparison.content(d.fixture.database, admin: d.admin) == before)
        #expect(try RestoreComparison.databases(like: d.fixture.database + "_", admin: d.admin).isEmpty)
    }

    @Test func missingBlobFailsWithTheTableNamedAndDropsTheScratchDatabase() throws {
        guard let d = try dumped("missing") else { return }
        defer { d.fixture.drop() }
        let table = try #require(d.manifest.tables.first { $0.table.name == "session" })
        d.store.remove(try #require(table.parts.first?.chunks.first))
        let target = d.fixture.database + "_new"
        let error = try #require(throws: RestoreError.self) {
            try d.restorer(RestoreOptions(target: target)).run()
        }
        #expect(error.table?.hasPrefix("public.session") == true)
        #expect(error.description.contains("not in the repository"))
        #expect(try !RestoreComparison.databaseExists(target, admin: d.admin))
        #expect(try RestoreComparison.databases(like: target, admin: d.admin).isEmpty)
    }

    @Test func missingOwnerRoleIsReportedAndNoOwnerRestoresAnyway() throws {
        guard let d = try dumped("roles") else { return }
        let admin = try PGConnection.connect(d.admin)
        let renamed = d.fixture.owner + "_gone"
        try admin.execute("ALTER ROLE \(d.fixture.owner) RENAME TO \(renamed)")
        defer {
            _ = try? admin.execute("ALTER ROLE \(renamed) RENAME TO \(d.fixture.owner)")
            d.fixture.drop()
        }
        let target = d.fixture.database + "_noowner"
        let error = try #require(throws: RestoreError.self) {
            try d.restorer(RestoreOptions(target: target)).run()
        }
        #expect(error.code == .missingRoles)
        #expect(error.description.hasPrefix("role \(d.fixture.owner) (owner of the database"))
        #expect(error.description.hasSuffix("does not exist on the server; restore globals first with --with-roles or create it, or use --no-owner"))
        #expect(try !RestoreComparison.databaseExists(target, admin: d.admin))

        _ = try d.restorer(RestoreOptions(target: target, noOwner: true)).run()
        let me = try admin.execute("SELECT current_user").string(0, 0)
        #expect(try RestoreComparison.properties(target, admin: d.admin)[5] == me)
        var original = try RestoreComparison.content(d.fixture.database, admin: d.admin)
        var restored = try RestoreComparison.content(target, admin: d.admin)
        // Large objects belong to the restoring user now.
        original.removeAll { $0.hasPrefix("large object") }
        restored.removeAll { $0.hasPrefix("large object") }
        #expect(restored == original)
    }

    /// Role definitions that say whether they were asked for.
    final class RecordingRoles: RestoreRoleSource, @unchecked Sendable {
        let lock = NSLock()
        var asked: [[String]] = []
        func statementsCreating(roles: [String]) throws -> [String] {
            lock.withLock { asked.append(roles) }
            return roles.map { "CREATE ROLE \($0) NOLOGIN" }
        }
    }

    @Test func preflightRefusesMissingExtensionsAndAnOlderServerBeforeCreatingRoles() throws {
        guard var d = try dumped("preflight") else { return }
        let admin = try PGConnection.connect(d.admin)
        let renamed = d.fixture.owner + "_away"
        try admin.execute("ALTER ROLE \(d.fixture.owner) RENAME TO \(renamed)")
        defer {
            _ = try? admin.execute("DROP ROLE IF EXISTS \(d.fixture.owner)")
            _ = try? admin.execute("ALTER ROLE \(renamed) RENAME TO \(d.fixture.owner)")
            d.fixture.drop()
        }
        let target = d.fixture.database + "_pre"
        let roles = RecordingRoles()
        d.manifest.extensions["sbt_no_such_extension"] = "9.9"
        let error = try #require(throws: RestoreError.self) {
            try d.restorer(RestoreOptions(target: target, withRoles: true, roles: roles)).run()
        }
        #expect(error.code == .missingExtensions)
        #expect(error.description.contains("sbt_no_such_extension 9.9") && error.description.contains("install their packages"))
        #expect(roles.asked.isEmpty, "roles were created before the extension check failed")
        #expect(try admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [d.fixture.owner]).rowCount == 0)
        #expect(try !RestoreComparison.databaseExists(target, admin: d.admin))

        d.manifest.extensions["sbt_no_such_extension"] = nil
        d.manifest.serverVersion = 990000
        d.manifest.serverVersionString = "99.0"
        let tooOld = try #require(throws: RestoreError.self) {
            try d.restorer(RestoreOptions(target: target)).run()
        }
        #expect(tooOld.code == .serverTooOld)
        #expect(tooOld.description.contains("taken from PostgreSQL 99.0: a dump from a newer major cannot be loaded into an older server; restore onto PostgreSQL 99 or newer"))
        #expect(try !RestoreComparison.databaseExists(target, admin: d.admin))
    }

    @Test func tableFilterRestoresOnlyMatchingTablesRows() throws {
        guard let d = try dumped("filter") else { return }
        defer { d.fixture.drop() }
        let target = d.fixture.database + "_some"
        let result = try d.restorer(RestoreOptions(target: target, tables: ["public.website*"])).run()
        #expect(result.tables == 2)
        let connection = try PGConnection.connect(d.admin.withDatabase(target))
        #expect(try connection.execute("SELECT count(*) FROM public.website_event").int(0, 0) == 3001)
        #expect(try connection.execute("SELECT count(*) FROM public.website").int(0, 0) == 2)
        #expect(try connection.execute("SELECT count(*) FROM public.session").int(0, 0) == 0)
        #expect(try connection.execute("SELECT count(*) FROM extra.\"Mixed Case\"").int(0, 0) == 0)
    }

    @Test func unknownTablePatternIsRefusedBeforeAnythingChanges() throws {
        guard let d = try dumped("pattern") else { return }
        defer { d.fixture.drop() }
        let error = try #require(throws: RestoreError.self) {
            try d.restorer(RestoreOptions(target: d.fixture.database + "_x", tables: ["nope_*"])).run()
        }
        #expect(error.code == .invalidOptions)
        #expect(try RestoreComparison.databases(like: d.fixture.database + "_", admin: d.admin).isEmpty)
    }

    @Test func dryRunPlansWithoutChangingAnything() throws {
        guard let d = try dumped("plan") else { return }
        defer { d.fixture.drop() }
        let restorer = d.restorer(RestoreOptions(target: d.fixture.database, replace: true, dropOld: true, dryRun: true))
        let plan = try restorer.plan()
        #expect(plan.target == d.fixture.database)
        #expect(plan.tempName.hasPrefix(d.fixture.database + "__restoring_"))
        #expect(plan.oldName?.hasPrefix(d.fixture.database + "_before_") == true)
        #expect(plan.tables == d.manifest.tables.count)
        #expect(plan.steps.first?.hasPrefix("create database") == true)
        #expect(plan.steps.last?.hasPrefix("drop ") == true)
        let result = try restorer.run()
        #expect(result.rows == 0)
        #expect(try RestoreComparison.databases(like: d.fixture.database + "_", admin: d.admin).isEmpty)
    }

    @Test func cancelDuringTheRestoreDropsTheScratchDatabase() throws {
        guard let d = try dumped("cancel") else { return }
        defer { d.fixture.drop() }
        let target = d.fixture.database + "_cancelled"
        var restorer: DatabaseRestorer?
        restorer = d.restorer(RestoreOptions(target: target, jobs: 1)) { progress in
            if progress.phase == "data" { restorer?.cancel() }
        }
        let error = try #require(throws: RestoreError.self) { try restorer?.run() }
        #expect(error.code == .interrupted)
        #expect(error.description.contains("was cancelled during table data"))
        #expect(try !RestoreComparison.databaseExists(target, admin: d.admin))
        #expect(try RestoreComparison.databases(like: target, admin: d.admin).isEmpty)
    }
}
