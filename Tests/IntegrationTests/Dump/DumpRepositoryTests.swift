import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct DumpRepositoryTests {
    @Test func dumpIntoARepositoryGivesAPostgresSnapshotWhoseStreamsMatchTheirDigests() throws {
        let server = try #require(try TestPostgres.requireServer())
        try TestPostgres.withScratchDatabase(prefix: "dump_repo") { db in
            let name = db.database ?? ""
            try StackFixtures.createUmamiLike(db: db, rows: 5000)
            let repository = try TestRepository()
            let options = DumpOptions(chunker: repository.config.chunker.database, gear: repository.gearTable)
            let result = try DatabaseDumper(connection: server, store: repository, options: options).dump(database: name)
            let id = try repository.saveSnapshot(Snapshot(time: Date(), host: "test", kind: .postgres, source: name,
                                                          root: result.manifestID, stats: result.stats,
                                                          serverVersion: result.manifest.serverVersion))
            let snapshot = try repository.loadSnapshot(id)
            let manifest = try repository.loadJSON(DatabaseManifest.self, id: snapshot.root)
            #expect(manifest == result.manifest)
            for table in manifest.tables {
                for part in table.parts {
                    var hasher = SHA256Hasher()
                    for chunk in part.chunks { hasher.update(try repository.loadBlob(.data, id: chunk)) }
                    #expect(hasher.finalize().hex == part.digest, "digest of \(table.table)")
                }
            }
            #expect(result.stats.bytesAdded > 0 && result.stats.bytesAdded < result.stats.bytesRead)

            let again = try DatabaseDumper(connection: server, store: repository, options: options).dump(database: name)
            #expect(again.stats.blobsAdded <= 2) // the manifest and the schema archive's head (pg_dump's clock)
        }
    }

    @Test func globalsDumpLoadsBackFromTheRepository() throws {
        let server = try #require(try TestPostgres.requireServer())
        let repository = try TestRepository()
        let result = try GlobalsDumper(connection: server, store: repository).dump()
        try repository.flush()
        let manifest = try repository.loadJSON(GlobalsManifest.self, id: result.manifestID)
        #expect(manifest.roles.contains { $0.superuser })
        #expect(manifest == result.manifest)
    }
}
