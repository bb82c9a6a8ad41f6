import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// The structure check follows a database manifest to its blobs: a table part
/// or schema archive chunk the index does not hold is missing data, named by
/// the item it belongs to.
@Suite struct CheckerManifestTests {
    func databaseSnapshot(in repository: Repository, tableChunks: [ObjectID], schemaChunks: [ObjectID]) throws {
        let properties = DatabaseProperties(encoding: "UTF8", collate: "C", ctype: "C", localeProvider: "c", iculocale: nil,
                                            owner: "postgres", comment: nil, connectionLimit: -1, acl: nil, settings: [], roleSettings: [:])
        var manifest = DatabaseManifest(database: "umami", serverVersion: 150_020, serverVersionString: "15.20",
                                        dumpedAt: Date(timeIntervalSince1970: 1_800_000_000), properties: properties)
        manifest.schema = SchemaArchive(pgDumpVersion: "15.20", bytes: 1, chunks: schemaChunks)
        manifest.tables = [TableEntry(table: QualifiedName(schema: "public", name: "website_event"), columns: ["id"], format: "text",
                                      orderedBy: ["id"], parts: [TablePart(rows: 1, bytes: 2, chunks: tableChunks, digest: "")])]
        let root = try repository.saveJSON(manifest).id
        _ = try repository.saveSnapshot(Snapshot(time: Date(), host: "nas", kind: .postgres, source: "umami", root: root))
    }

    @Test func aTablePartThatIsNotInTheRepositoryIsMissingData() throws {
        let repository = try TestRepository(backend: MemoryBackend())
        let present = try repository.saveBlob(.data, bytes: Array("1\n".utf8)).id
        let schema = try repository.saveBlob(.data, bytes: Array("PGDMP".utf8)).id
        let absent = SHA256.hash(Array("never saved".utf8))
        try databaseSnapshot(in: repository, tableChunks: [present, absent], schemaChunks: [schema])

        let report = try Checker(manifestBlobs: Checker.databaseManifests).check(repository: repository)
        #expect(report.missingBlobs.map(\.id) == [absent], "\(report.summary)")
        #expect(report.affectedSnapshots.first?.items == ["table public.website_event"], "\(report.affectedSnapshots)")
        // Without the hook a manifest is a leaf: the gap went unseen.
        #expect(try Checker().check(repository: repository).missingBlobs.isEmpty)
    }

    @Test func aSchemaArchiveChunkThatIsNotInTheRepositoryIsMissingData() throws {
        let repository = try TestRepository(backend: MemoryBackend())
        let present = try repository.saveBlob(.data, bytes: Array("1\n".utf8)).id
        let absent = SHA256.hash(Array("archive".utf8))
        try databaseSnapshot(in: repository, tableChunks: [present], schemaChunks: [absent])
        let report = try Checker(manifestBlobs: Checker.databaseManifests).check(repository: repository)
        #expect(report.affectedSnapshots.first?.items == ["schema archive"], "\(report.affectedSnapshots)")
    }

    @Test func aHealthyDatabaseAndGlobalsSnapshotAreClean() throws {
        let repository = try TestRepository(backend: MemoryBackend())
        let present = try repository.saveBlob(.data, bytes: Array("1\n".utf8)).id
        let schema = try repository.saveBlob(.data, bytes: Array("PGDMP".utf8)).id
        try databaseSnapshot(in: repository, tableChunks: [present], schemaChunks: [schema])
        let globals = GlobalsManifest(serverVersion: 150_020, dumpedAt: Date(), includesPasswords: false, roles: [], memberships: [])
        let root = try repository.saveJSON(globals).id
        _ = try repository.saveSnapshot(Snapshot(time: Date(), host: "nas", kind: .globals, source: "globals", root: root))
        let report = try Checker(manifestBlobs: Checker.databaseManifests).check(repository: repository, readData: .all)
        #expect(report.isClean, "\(report.summary)")
    }
}
