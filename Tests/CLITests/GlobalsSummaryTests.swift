import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Issue 14 item 5: a roles snapshot lists its size and what it holds.
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct GlobalsSummaryTests {
    @Test func snapshotsShowsTheSizeAndRoleCountsOfAGlobalsSnapshot() throws {
        // A server of its own, so the role count is exact: `postgres` plus the two made here.
        let server = try ScratchCluster()
        defer { server.stop() }
        try PGConnection.connect(server.config).execute("CREATE ROLE sb_app LOGIN; CREATE ROLE sb_readers NOLOGIN; GRANT sb_readers TO sb_app")
        let cli = try CLIRepository("cli-globals", environment: [
            "PGHOST": server.config.host ?? "127.0.0.1", "PGPORT": String(server.config.port ?? 5432), "PGUSER": "postgres",
        ])
        let backup = try cli.run(["backup", "globals"])
        #expect(backup.status == 0, "\(backup)")
        #expect(backup.stderr.contains("3 roles, 1 membership"), "\(backup.stderr)")

        let listing = try cli.succeed(["snapshots"])
        let row = try #require(listing.stdout.split(separator: "\n").first { $0.contains(" globals ") }, "\(listing.stdout)")
        #expect(row.contains("3 roles, 1 membership"), "\(row)")
        #expect(!row.contains(" 0 B "), "\(row)")

        let json = try cli.succeed(["snapshots", "--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let stats = try #require(list.first?["stats"] as? [String: Any])
        #expect(stats["roles"] as? Int == 3)
        #expect(stats["memberships"] as? Int == 1)
        #expect((stats["bytes_total"] as? Int ?? 0) > 0, "\(stats)")
    }
}
