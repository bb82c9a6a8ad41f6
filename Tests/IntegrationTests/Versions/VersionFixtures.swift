import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// The stack databases that load on every server of the tests, the wheel-built
/// 16 and 18 included: nothing beyond plpgsql. Immich needs uuid-ossp (and, for
/// real, pgvector: its own tests), StackFixtures' umami pgcrypto, so umami comes
/// from the quickstart's sample instead.
enum StackDatabase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case umami, backend, authelia

    var testDescription: String { rawValue }

    /// Fills the empty database `db`.
    func fill(_ db: PGConnectionConfig) throws {
        switch self {
        case .umami:
            // uuid keys, jsonb, timestamptz, a composite index; 2,000 sessions, 50,000 events.
            try PGConnection.connect(db).execute(try Self.quickstartSample("umami") + "\nANALYZE;")
        case .backend:
            // An enum, serial keys, a keyless table, partitions, a view, a trigger, a sequence, a large object.
            try StackFixtures.createBackendLike(db: db, rows: 2000)
        case .authelia:
            try StackFixtures.createAutheliaLike(db: db, rows: 2000)
        }
    }

    /// scripts/quickstart/sample-NAME.sql of this checkout.
    static func quickstartSample(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("scripts/quickstart/sample-\(name).sql"), encoding: .utf8)
    }
}
