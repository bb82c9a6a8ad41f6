import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// What the Immich tests need of the PostgreSQL 18 server with pgvector
/// (`OtherServer.require(18)`): Immich's own image runs 18 with pgvector, the
/// test cluster (15) has no pgvector at all.
extension OtherServer {
    /// A config whose `postgres:` section names this server and its pg_dump and pg_restore,
    /// as a user moving Immich's database to its own container would write it.
    func configFile(repository cli: CLIRepository, databases: [String]) throws -> String {
        try cli.directory.write("config.yml", """
            postgres:
              host: 127.0.0.1
              port: \(port)
              user: postgres
              pg_dump: \(program("pg_dump"))
              pg_restore: \(program("pg_restore"))
              databases: [\(databases.joined(separator: ", "))]

            """)
    }

    /// Runs a SQL file with this server's psql, stopping at the first error.
    func load(_ file: String, into database: String, variables: [String: String] = [:]) throws {
        let settings = variables.sorted { $0.key < $1.key }.flatMap { ["-v", "\($0.key)=\($0.value)"] }
        _ = try PGClient.run([program("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"] + settings + ["-d", database, "-f", file], server: config)
    }
}

/// `Tests/Fixtures/immich/immich.sql`: Immich's schema with generated rows.
enum ImmichFixture {
    static var path: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/immich/immich.sql").path
    }
}
