import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct PostgresConnectionTests {
    @Test func connectsAndReportsTheServerVersion() throws {
        let config = try #require(try TestPostgres.requireServer())
        let connection = try PGConnection.connect(config)
        #expect(connection.serverVersion >= 100_000)
        let result = try connection.execute("SELECT current_setting('server_version_num')")
        #expect(result.int(0, 0) == Int64(connection.serverVersion))
        let name = try connection.execute("SELECT current_setting('application_name')")
        #expect(name.string(0, 0) == "stackbackup-tests")
    }

    @Test func queryPassesParametersIncludingNullAndUnicode() throws {
        let config = try #require(try TestPostgres.requireServer())
        let connection = try PGConnection.connect(config)
        let text = "héllo 🐘 日本語 'quoted' \"double\""
        let result = try connection.query(
            "SELECT $1::text AS greeting, $2::text AS nothing, $3::int8 + 1 AS answer, $4::bool AS yes, length($1) AS chars",
            [text, nil, "41", "true"])
        #expect(result.rowCount == 1)
        #expect(result.columnCount == 5)
        #expect(result.columnName(0) == "greeting")
        #expect(result.columnName(9) == "")
        #expect(result.string(0, 0) == text)
        #expect(result.bytes(0, 0) == Array(text.utf8))
        #expect(result.isNull(0, 1))
        #expect(result.string(0, 1) == nil)
        #expect(result.int(0, 2) == 42)
        #expect(result.bool(0, 3) == true)
        #expect(result.int(0, 4) == Int64(text.unicodeScalars.count))
        // Out of range never crashes.
        #expect(result.string(5, 0) == nil)
        #expect(result.int(0, -1) == nil)
    }

    @Test func commandTuplesCountsAffectedRows() throws {
        let config = try #require(try TestPostgres.requireServer())
        let connection = try PGConnection.connect(config)
        try connection.execute("CREATE TEMP TABLE t (id int)")
        let insert = try connection.execute("INSERT INTO t SELECT generate_series(1, 7)")
        #expect(insert.commandTuples == 7)
        let create = try connection.execute("CREATE TEMP TABLE u (id int)")
        #expect(create.commandTuples == nil)
    }

    @Test func syntaxErrorCarriesSQLState42601AndLeavesTheConnectionUsable() throws {
        let config = try #require(try TestPostgres.requireServer())
        let connection = try PGConnection.connect(config)
        let error = try #require(throws: PGError.self) { try connection.execute("SELEC 1") }
        #expect(error.code == .query)
        #expect(error.sqlState == "42601")
        #expect(error.message.contains("syntax error"))
        #expect(error.context.hasPrefix("SELEC on "))
        #expect(try connection.execute("SELECT 1").int(0, 0) == 1)
    }

    @Test func parameterValuesNeverAppearInTheErrorContext() throws {
        let config = try #require(try TestPostgres.requireServer())
        let connection = try PGConnection.connect(config)
        let error = try #require(throws: PGError.self) {
            try connection.query("SELECT 1 / $1::int", ["0"])
        }
        #expect(error.sqlState == "22012")
        #expect(!error.context.contains("$1"))
        #expect(error.description.contains("SELECT on \(config.displayName)"))
    }

    @Test func connectingToAClosedPortFailsAfterRetriesWithOneLineAndNoPassword() throws {
        let directory = TemporaryDirectory()
        let secret = "s3cret-Passw0rd-never-shown"
        let passwordFile = try directory.write("password", secret + "\n")
        let port = try closedPort()
        let config = PGConnectionConfig(host: "127.0.0.1", port: port, user: "postgres", database: "umami",
                                        passwordFile: passwordFile, connectTimeout: 2)
        let started = Date()
        let error = try #require(throws: PGError.self) { try PGConnection.connect(config) }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 3.4, "three retries wait 0.5 s, 1 s and 2 s")
        #expect(error.code == .connection)
        #expect(error.isRetryable)
        let text = error.description
        #expect(!text.contains("\n"))
        #expect(text.contains("127.0.0.1"))
        #expect(text.contains(String(port)))
        #expect(text.contains("umami"))
        #expect(text.contains("4 attempts"))
        #expect(!text.contains(secret))
        #expect(!"\(error)".contains(secret))
    }

    /// scripts/pg-cluster.sh makes this one role give its password (scram-sha-256).
    @Test func aWrongPasswordFailsAtOnceInOneLineThatNeverShowsIt() throws {
        let admin = try #require(try TestPostgres.requireServer())
        let setup = try PGConnection.connect(admin)
        let role = "stackbackup_password_test"
        try setup.execute("DROP ROLE IF EXISTS \(role); CREATE ROLE \(role) LOGIN PASSWORD 'the-right-Passw0rd'")
        defer { _ = try? setup.execute("DROP ROLE IF EXISTS \(role)") }
        let directory = TemporaryDirectory()
        var config = admin
        config.user = role
        config.passwordFile = try directory.write("right", "the-right-Passw0rd\n")
        #expect(try PGConnection.connect(config).execute("SELECT current_user").string(0, 0) == role)

        let secret = "a-Wrong-passw0rd-never-shown"
        config.passwordFile = try directory.write("wrong", secret + "\n")
        let started = Date()
        let error = try #require(throws: PGError.self) { try PGConnection.connect(config, retries: 3) }
        #expect(Date().timeIntervalSince(started) < 1, "a wrong password must not be retried")
        #expect(error.code == .connection && !error.isRetryable)
        let text = error.description
        #expect(text.contains("password authentication failed for user \"\(role)\""), "\(text)")
        #expect(!text.contains("\n") && !text.contains(secret) && !"\(error)".contains(secret))

        // Through the binary: `backup db` names the server and the reason, exits 1, in one line.
        let cli = try CLIRepository("stackbackup-pgpass")
        let configFile = try cli.directory.write("config.yml", """
            repository: \(cli.repo)
            password_file: \(cli.passwordFile)
            postgres:
              host: \(admin.host ?? "127.0.0.1")
              port: \(admin.port ?? 5432)
              user: \(role)
              password_file: \(config.passwordFile ?? "")
              databases: [postgres]
            """)
        let backup = try cli.runner.run(["backup", "db", "--config", configFile])
        #expect(backup.status == 1, "\(backup)")
        let errors = backup.stderr.split(separator: "\n").filter { $0.contains("error") }
        #expect(errors.count == 1 && errors[0].contains("password authentication failed"), "\(backup)")
        #expect(!backup.stderr.contains(secret) && !backup.stdout.contains(secret))
        #expect(try cli.files(in: "snapshots").isEmpty)
    }

    @Test func wrongDatabaseFailsAtOnceWithoutRetrying() throws {
        let config = try #require(try TestPostgres.requireServer())
        let started = Date()
        let error = try #require(throws: PGError.self) {
            try PGConnection.connect(config.withDatabase("no_such_database_here"), retries: 3)
        }
        #expect(Date().timeIntervalSince(started) < 0.5)
        #expect(error.code == .connection)
        #expect(!error.isRetryable)
        #expect(error.description.contains("no_such_database_here"))
    }

    @Test func cancelStopsARunningStatementWithinTwoSeconds() throws {
        let config = try #require(try TestPostgres.requireServer())
        let connection = try PGConnection.connect(config)
        let done = DoneFlag()
        let canceller = Thread {
            Thread.sleep(forTimeInterval: 0.3)
            // Repeat in case the first cancel arrives before the statement starts.
            while !done.isSet {
                connection.cancel()
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        let started = Date()
        canceller.start()
        let error = try #require(throws: PGError.self) { try connection.execute("SELECT pg_sleep(30)") }
        done.set()
        #expect(Date().timeIntervalSince(started) < 2.3)
        #expect(error.code == .cancelled)
        #expect(error.sqlState == "57014")
        #expect(try connection.execute("SELECT 2").int(0, 0) == 2)
    }

    @Test func cancelWithNothingRunningIsHarmless() throws {
        let config = try #require(try TestPostgres.requireServer())
        let connection = try PGConnection.connect(config)
        connection.cancel()
        #expect(try connection.execute("SELECT 3").int(0, 0) == 3)
    }

    @Test func escapedIdentifiersAndLiteralsRoundTripQuotes() throws {
        let config = try #require(try TestPostgres.requireServer())
        let connection = try PGConnection.connect(config)
        let table = "we\"ird Table"
        let quoted = connection.escapeIdentifier(table)
        #expect(quoted == "\"we\"\"ird Table\"")
        try connection.execute("CREATE TEMP TABLE \(quoted) (v text)")
        let value = "it's a \\ back'slash"
        try connection.execute("INSERT INTO \(quoted) VALUES (\(connection.escapeLiteral(value)))")
        let result = try connection.execute("SELECT v FROM \(quoted)")
        #expect(result.string(0, 0) == value)
        #expect(connection.escapeLiteral("it's") == "'it''s'")
    }

    @Test func executeOfACopyStatementFailsAndKeepsTheConnectionUsable() throws {
        let config = try #require(try TestPostgres.requireServer())
        let connection = try PGConnection.connect(config)
        let error = try #require(throws: PGError.self) {
            try connection.execute("COPY (SELECT generate_series(1, 1000)) TO STDOUT")
        }
        #expect(error.code == .protocolError)
        #expect(try connection.execute("SELECT 4").int(0, 0) == 4)
    }
}

@Suite struct PostgresConnectionConfigTests {
    @Test func displayNameNamesHostPortAndDatabaseOnly() {
        let config = PGConnectionConfig(host: "db.local", port: 5433, user: "u", database: "immich", passwordFile: "/run/secret")
        #expect(config.displayName == "db.local:5433/immich")
        #expect(config.withDatabase("umami").displayName == "db.local:5433/umami")
        #expect(PGConnectionConfig().displayName == "localhost:5432/default")
    }

    @Test func fromEnvironmentReadsTheUsualVariables() {
        let config = PGConnectionConfig.fromEnvironment(["PGHOST": "10.0.0.5", "PGPORT": "6543", "PGUSER": "backup",
                                                         "PGDATABASE": "authelia", "PGPASSWORD": "x", "PGSSLMODE": "require"])
        #expect(config == PGConnectionConfig(host: "10.0.0.5", port: 6543, user: "backup", database: "authelia", sslMode: "require"))
        #expect(PGConnectionConfig.fromEnvironment([:]) == PGConnectionConfig())
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed).
func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw POSIXError(.EINVAL) }
    return Int(UInt16(bigEndian: address.sin_port))
}

final class DoneFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
