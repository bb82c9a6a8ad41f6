import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct GlobalsDumperTests {
    /// Creates `app` (login, password, a setting) in group `staff` with admin option; drops both after `body`.
    private func withRoles(_ body: (PGConnectionConfig, String, String) throws -> Void) throws {
        let server = try #require(try TestPostgres.requireServer())
        let suffix = "\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let app = "sbt_app_\(suffix)", staff = "sbt_staff_\(suffix)"
        let admin = try PGConnection.connect(server)
        try admin.execute("""
            CREATE ROLE \(staff) NOLOGIN;
            CREATE ROLE \(app) LOGIN CREATEDB CONNECTION LIMIT 7 PASSWORD 'correct horse';
            GRANT \(staff) TO \(app) WITH ADMIN OPTION;
            ALTER ROLE \(app) SET work_mem = '8MB';
            COMMENT ON ROLE \(app) IS 'the app';
            """)
        defer { _ = try? admin.execute("DROP ROLE IF EXISTS \(app); DROP ROLE IF EXISTS \(staff)") }
        try body(server, app, staff)
    }

    @Test func globalsIncludeACreatedRoleWithItsMembershipSettingsAndHash() throws {
        try withRoles { server, app, staff in
            let store = DumpTestStore()
            let result = try GlobalsDumper(connection: server, store: store).dump()
            #expect(result.includesPasswords)
            #expect(result.warnings.isEmpty)
            let loaded = try store.loadJSON(GlobalsManifest.self, id: result.manifestID)
            let role = try #require(loaded.roles.first { $0.name == app })
            #expect(role.login && role.createdb && !role.superuser && role.connectionLimit == 7)
            #expect(role.passwordHash?.hasPrefix("SCRAM-SHA-256$") == true)
            #expect(role.settings == ["work_mem=8MB"])
            #expect(role.comment == "the app")
            #expect(loaded.roles.contains { $0.name == staff && !$0.login })
            #expect(loaded.memberships.contains { $0.role == staff && $0.member == app && $0.adminOption })
            #expect(!loaded.roles.contains { $0.name.hasPrefix("pg_") })
            #expect(result.roles == loaded.roles.count)
        }
    }

    @Test func withoutPrivilegeRolesAreDumpedWithoutHashesAndAWarning() throws {
        try withRoles { server, app, _ in
            var asApp = server
            asApp.user = app
            let result = try GlobalsDumper(connection: asApp, store: DumpTestStore()).dump()
            #expect(!result.includesPasswords)
            #expect(result.warnings == ["password hashes not readable by \(app): roles will be restored without passwords"])
            #expect(result.manifest.roles.allSatisfy { $0.passwordHash == nil })
            #expect(result.manifest.roles.contains { $0.name == app })
        }
    }
}
