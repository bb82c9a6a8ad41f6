import Foundation
import StackBackupKit

/// The PostgreSQL server the integration tests use: the one `scripts/test.sh`
/// starts and describes with `PGHOST`/`PGPORT` (plus `PGUSER`, `PGDATABASE`).
///
/// Without those variables a developer's run skips the tests with a reason,
/// but under `CI=true` a missing server is a failure, never a skip:
///
///     @Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI,
///                     "needs PostgreSQL: run bash scripts/test.sh"))
///     struct MyTests {
///         @Test func works() throws {
///             let config = try #require(try TestPostgres.requireServer())
///             …
///         }
///     }
public enum TestPostgres {
    /// Raised when CI expects a server and none is configured.
    public struct NotConfigured: Error, CustomStringConvertible {
        public var description: String {
            "CI=true but no PostgreSQL server is configured (PGHOST and PGPORT are unset): run the tests through `bash scripts/test.sh`"
        }
    }

    private static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Whether `PGHOST` and `PGPORT` name a server.
    public static var isConfigured: Bool {
        let env = environment
        return !(env["PGHOST"] ?? "").isEmpty && !(env["PGPORT"] ?? "").isEmpty
    }

    /// Whether this run is CI (`CI=true` or `CI=1`), where skipping is not allowed.
    public static var isCI: Bool {
        let value = (environment["CI"] ?? "").lowercased()
        return value == "true" || value == "1" || value == "yes"
    }

    /// The server's connection settings; `nil` (skip) on a developer machine
    /// without a server; throws under CI without one.
    public static func requireServer() throws -> PGConnectionConfig? {
        if isConfigured {
            var config = PGConnectionConfig.fromEnvironment()
            config.applicationName = "stackbackup-tests"
            if config.database == nil { config.database = "postgres" }
            return config
        }
        if isCI { throw NotConfigured() }
        return nil
    }

    private static func adminConfig() throws -> PGConnectionConfig {
        guard let config = try requireServer() else { throw NotConfigured() }
        return config.withDatabase("postgres")
    }

    /// Creates an empty database with a unique name starting with `prefix`
    /// (lower-cased, letters, digits and `_` only) and returns that name.
    /// Made from `template0`, so tests creating databases in parallel do not
    /// collide on `template1`.
    public static func createScratchDatabase(prefix: String) throws -> String {
        let clean = String(prefix.lowercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" }.prefix(30))
        var random = SystemRandomNumberGenerator()
        let suffix = String(random.next() & 0xFFFF_FFFF_FFFF, radix: 16)
        let name = "sbt_\(clean)_\(getpid())_\(suffix)"
        let connection = try PGConnection.connect(adminConfig())
        try connection.execute("CREATE DATABASE \(connection.escapeIdentifier(name)) TEMPLATE template0 ENCODING 'UTF8'")
        return name
    }

    /// Drops a database made by `createScratchDatabase`, disconnecting its sessions.
    public static func dropDatabase(_ name: String) throws {
        let connection = try PGConnection.connect(adminConfig())
        try connection.execute("DROP DATABASE IF EXISTS \(connection.escapeIdentifier(name)) WITH (FORCE)")
    }

    /// A connection to a fresh scratch database, dropped when `body` returns.
    public static func withScratchDatabase<T>(prefix: String, _ body: (PGConnectionConfig) throws -> T) throws -> T {
        let name = try createScratchDatabase(prefix: prefix)
        defer { try? dropDatabase(name) }
        return try body(adminConfig().withDatabase(name))
    }
}
