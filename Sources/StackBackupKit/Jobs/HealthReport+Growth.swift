import Foundation

extension HealthReport {
    /// Fills each database's `growthSinceLastBackup` (size now minus the size
    /// its newest `postgres` snapshot recorded) and `lastBackupAt`. Databases
    /// without a snapshot, or whose newest manifest predates the recorded size,
    /// are left nil. `source` names the source a database's snapshots are filed
    /// under (its server's `source(of:)`). Reads one manifest per database; needs the key.
    public mutating func addGrowth(from repository: Repository, source: (String) -> String = { $0 }) throws {
        let latest = try repository.latestSnapshots(kind: .postgres)
        for i in databases.indices {
            guard let record = latest[source(databases[i].name)] else { continue }
            let manifest = try repository.loadJSON(DatabaseManifest.self, id: record.snapshot.root)
            databases[i].lastBackupAt = record.snapshot.time
            databases[i].growthSinceLastBackup = manifest.databaseSize.map { databases[i].sizeBytes - $0 }
        }
    }
}
