import Foundation
import StackBackupKit
import StackBackupTestSupport

/// Shared steps of the drill tests: fill a fixture database, dump it into a
/// repository as a snapshot, and look for leftover scratch databases.
enum DrillFixture {
    static let kinds = ["umami", "immich", "backend", "authelia"]

    static func fill(_ kind: String, _ db: PGConnectionConfig, rows: Int? = nil) throws {
        switch kind {
        case "umami": try StackFixtures.createUmamiLike(db: db, rows: rows ?? 3000)
        case "immich": try StackFixtures.createImmichLike(db: db, rows: rows ?? 300)
        case "backend": try StackFixtures.createBackendLike(db: db, rows: rows ?? 1000)
        default: try StackFixtures.createAutheliaLike(db: db, rows: rows ?? 300)
        }
    }

    /// Dumps `database` with the dumper (small split threshold: large tables
    /// get several parts) and saves a `postgres` snapshot of it.
    @discardableResult
    static func backup(_ database: String, admin: PGConnectionConfig, into repository: Repository) throws -> (SnapshotRecord, DatabaseManifest) {
        let options = DumpOptions(chunker: repository.config.chunker.database, gear: repository.gearTable, jobs: 2,
                                  splitThresholdBytes: 64 << 10)
        let result = try DatabaseDumper(connection: admin, store: repository, options: options).dump(database: database)
        return try save(result.manifestID, manifest: result.manifest, source: database, into: repository)
    }

    static func save(_ root: ObjectID, manifest: DatabaseManifest, source: String, into repository: Repository,
                     time: Date = Date()) throws -> (SnapshotRecord, DatabaseManifest) {
        let snapshot = Snapshot(time: time, host: "test", kind: .postgres, source: source, root: root,
                                serverVersion: manifest.serverVersion)
        let id = try repository.saveSnapshot(snapshot)
        return (SnapshotRecord(id: id, snapshot: snapshot), manifest)
    }

    /// Saves `manifest` (changed by a test) as a newer snapshot of the same source.
    static func saveTampered(_ manifest: DatabaseManifest, source: String, into repository: Repository) throws -> SnapshotRecord {
        let saved = try repository.saveJSON(manifest)
        return try save(saved.id, manifest: manifest, source: source, into: repository, time: Date().addingTimeInterval(60)).0
    }

    /// Scratch databases any drill left behind on the server.
    /// True while a session other than the caller's runs a statement in a
    /// database whose name starts with `prefix`: the restore is at work there.
    static func isWorking(admin: PGConnectionConfig, inDatabasesStartingWith prefix: String) throws -> Bool {
        let connection = try PGConnection.connect(admin.withDatabase("postgres"))
        let result = try connection.query("SELECT count(*) FROM pg_stat_activity WHERE starts_with(datname, $1) AND state = 'active' AND pid <> pg_backend_pid()", [prefix])
        return (result.int(0, 0) ?? 0) > 0
    }

    static func leftovers(admin: PGConnectionConfig) throws -> [String] {
        let connection = try PGConnection.connect(admin.withDatabase("postgres"))
        let result = try connection.execute("SELECT datname FROM pg_database WHERE datname LIKE 'stackbackup\\_drill\\_%' ORDER BY 1")
        return (0..<result.rowCount).compactMap { result.string($0, 0) }
    }
}
