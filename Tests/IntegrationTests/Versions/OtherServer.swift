import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// A PostgreSQL server of another major than the test cluster's (15): one of
/// those `scripts/test.sh` starts from a PyPI wheel (`scripts/pg-wheel.sh`) and
/// describes with `STACKBACKUP_TEST_PG<major>_PORT` and `…_BIN`, on 127.0.0.1 as
/// `postgres` with trust. Its installation lacks uuid-ossp, pgcrypto, ICU and
/// libxml: fixtures that need them stay on the 15 cluster.
///
///     @Test func works() throws {
///         guard let server = OtherServer.require(18) else { return }
///         …
///     }
struct OtherServer: Sendable {
    let major: Int
    let port: Int
    /// The folder with this installation's programs (pg_dump, pg_restore, psql…).
    let bin: String

    /// The majors `scripts/test.sh` starts.
    static let majors = [16, 18]

    /// The server of `major`, from the environment; nil when not configured.
    static func configured(_ major: Int) -> OtherServer? {
        let environment = ProcessInfo.processInfo.environment
        guard let port = environment["STACKBACKUP_TEST_PG\(major)_PORT"].flatMap(Int.init),
              let bin = environment["STACKBACKUP_TEST_PG\(major)_BIN"], !bin.isEmpty else { return nil }
        return OtherServer(major: major, port: port, bin: bin)
    }

    /// Whether any server of `majors` is configured (a suite's `.enabled(if:)`; a
    /// test of a missing one then returns at once, or fails under CI).
    static var anyConfigured: Bool { majors.contains { configured($0) != nil } }

    /// The server of `major`; nil (skip) on a developer machine without it. Under
    /// CI=true a missing server is a failure: it records an Issue, then returns nil.
    static func require(_ major: Int) -> OtherServer? {
        if let server = configured(major) { return server }
        if TestPostgres.isCI {
            Issue.record("CI=true but STACKBACKUP_TEST_PG\(major)_PORT/_BIN are unset: scripts/test.sh starts PostgreSQL \(major) with scripts/pg-wheel.sh")
        }
        return nil
    }

    /// Admin connection settings (database `postgres`).
    var config: PGConnectionConfig {
        PGConnectionConfig(host: "127.0.0.1", port: port, user: "postgres", database: "postgres", applicationName: "stackbackup-tests")
    }

    /// `PG*` variables that point libpq (and so the `stackbackup` binary) at this server.
    var environment: [String: String] {
        ["PGHOST": "127.0.0.1", "PGPORT": String(port), "PGUSER": "postgres", "PGDATABASE": "postgres"]
    }

    func program(_ name: String) -> String { bin + "/" + name }

    /// The `postgres:` section of a config naming this installation's pg_dump and
    /// pg_restore (the connection comes from `environment`).
    var configSection: String {
        """
        postgres:
          pg_dump: \(program("pg_dump"))
          pg_restore: \(program("pg_restore"))

        """
    }

    /// Creates an empty database (UTF8, from template0) with a unique name starting with `prefix`.
    func createScratchDatabase(prefix: String) throws -> String {
        let name = "sbt_v\(major)_\(prefix)_\(getpid())_\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let connection = try PGConnection.connect(config)
        try connection.execute("CREATE DATABASE \(connection.escapeIdentifier(name)) TEMPLATE template0 ENCODING 'UTF8'")
        return name
    }

    /// Drops `name` and every database whose name starts with it (restored copies,
    /// scratch databases a failed restore should not have left).
    func dropDatabases(startingWith name: String) {
        guard let connection = try? PGConnection.connect(config),
              let result = try? connection.query("SELECT datname FROM pg_catalog.pg_database WHERE starts_with(datname, $1)", [name])
        else { return }
        for row in 0..<result.rowCount {
            if let db = result.string(row, 0) { _ = try? connection.execute("DROP DATABASE IF EXISTS \(connection.escapeIdentifier(db)) WITH (FORCE)") }
        }
    }

    /// The databases whose names start with `prefix`, sorted.
    func databases(startingWith prefix: String) throws -> [String] {
        let result = try PGConnection.connect(config)
            .query("SELECT datname FROM pg_catalog.pg_database WHERE starts_with(datname, $1) ORDER BY 1", [prefix])
        return (0..<result.rowCount).compactMap { result.string($0, 0) }
    }

    /// `DatabaseComparator.snapshot` of a database here, its schema read by this server's pg_dump.
    func state(_ database: String) throws -> DatabaseState {
        try DatabaseComparator.snapshot(database: database, connection: config, pgDump: program("pg_dump"))
    }
}

/// The test cluster (PostgreSQL 15) seen like an `OtherServer`'s peer: its own
/// programs by path, so a test can pick the old major's pg_dump or pg_restore on purpose.
enum TestCluster {
    static let bin = "/usr/lib/postgresql/15/bin"
    static func program(_ name: String) -> String { bin + "/" + name }
}

/// A setup step of a versions test that failed, with the output that says why.
struct VersionTestFailure: Error, CustomStringConvertible {
    var description: String
}
