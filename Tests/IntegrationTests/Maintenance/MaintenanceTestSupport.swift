import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Helpers for the maintenance integration tests.
enum MaintenanceFixture {
    /// Runs `body` against a fresh scratch database; the database's name is
    /// `config.database`. Returns nil (skip) without a server outside CI.
    static func withDatabase(_ prefix: String, _ body: (PGConnectionConfig, String) throws -> Void) throws {
        guard try TestPostgres.requireServer() != nil else { return }
        try TestPostgres.withScratchDatabase(prefix: prefix) { config in
            try body(config, try #require(config.database))
        }
    }

    /// Makes the statistics of this session's writes visible to others now
    /// (PostgreSQL 15+ otherwise flushes them up to a second later).
    static func flushStatistics(_ connection: PGConnection) throws {
        if connection.serverVersion >= 150_000 {
            try connection.execute("SELECT pg_stat_force_next_flush()")
        }
    }

    /// Polls `condition` until it holds or `seconds` pass.
    static func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return try condition()
    }

    /// A LOGIN role with no privileges beyond PUBLIC's; dropped after `body`.
    static func withUnprivilegedRole(_ config: PGConnectionConfig, _ body: (PGConnectionConfig) throws -> Void) throws {
        let admin = try PGConnection.connect(config)
        var random = SystemRandomNumberGenerator()
        let role = "sbt_noright_\(getpid())_\(String(random.next() & 0xFFFFFF, radix: 16))"
        try admin.execute("CREATE ROLE \(role) LOGIN")
        defer {
            _ = try? admin.execute("DROP OWNED BY \(role)")
            _ = try? admin.execute("DROP ROLE IF EXISTS \(role)")
        }
        var limited = config
        limited.user = role
        limited.passwordFile = nil
        try body(limited)
    }
}

/// Collects progress events from several threads.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [MaintenanceProgress] = []

    func record(_ event: MaintenanceProgress) {
        lock.lock()
        events.append(event)
        lock.unlock()
    }

    var all: [MaintenanceProgress] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }
}
