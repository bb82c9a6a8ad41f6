import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// The tricky-values fixture through the real dumper (binary and text COPY,
/// key-range splits, row-aligned chunks) and back, and a flipped byte in a
/// pack of a real repository on disk.
@Suite(.serialized, .enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct TrickyRoundTripTests {
    /// The fixture plus a 20 MB value and sequences moved on.
    func fixture(_ prefix: String, admin: PGConnectionConfig) throws -> RestoreFixture {
        let fixture = try RestoreFixture.make(prefix: prefix, admin: admin)
        try PGConnection.connect(admin.withDatabase(fixture.database)).execute("""
            INSERT INTO extra."Mixed Case" VALUES (4, repeat('0123456789abcdef', 20 * 1024 * 1024 / 16));
            SELECT setval('public.audit_id_seq', 90000, false);
            ANALYZE;
            """)
        return fixture
    }

    @Test func trickyValuesDumpedByTheDumperRestoreIdentically() throws {
        let admin = try #require(try TestPostgres.requireServer()).withDatabase("postgres")
        let fixture = try fixture("tricky", admin: admin)
        defer { fixture.drop() }
        let copy = fixture.database + "_copy"
        let store = MemoryBlobStore()
        let options = DumpOptions(gear: try GearTable(seed: SecretBytes([UInt8](repeating: 5, count: 32))), jobs: 2,
                                  splitThresholdBytes: 64 << 10)
        let manifest = try DatabaseDumper(connection: admin, store: store, options: options).dump(database: fixture.database).manifest
        let byName = Dictionary(uniqueKeysWithValues: manifest.tables.map { ($0.table.description, $0) })
        #expect(byName["public.website_event"].map { $0.parts.count > 1 } == true, "the event table should be split")
        #expect(byName["public.measurement_2024"]?.format == "binary")
        #expect(byName["public.website_event"]?.format == "text")
        #expect(byName["extra.Mixed Case"].map { $0.bytes > 20 << 20 } == true)

        _ = try DatabaseRestorer(connection: admin, store: store, manifest: manifest,
                                 options: RestoreOptions(target: copy, jobs: 2)).run()
        #expect(try RestoreComparison.schema(copy) == RestoreComparison.schema(fixture.database))
        let original = try RestoreComparison.content(fixture.database, admin: admin)
        let restored = try RestoreComparison.content(copy, admin: admin)
        #expect(restored == original, "differs: \(Set(restored).symmetricDifference(original).sorted())")
        #expect(try RestoreComparison.properties(copy, admin: admin) == RestoreComparison.properties(fixture.database, admin: admin))
        let sequence = try PGConnection.connect(admin.withDatabase(copy)).execute("SELECT last_value, is_called FROM public.audit_id_seq")
        #expect(sequence.int(0, 0) == 90000 && sequence.bool(0, 1) == false)
    }

    @Test func aFlippedByteInAPackStopsTheRestoreNamingTableAndPackAndLeavesNoDatabase() throws {
        let admin = try #require(try TestPostgres.requireServer()).withDatabase("postgres")
        let fixture = try fixture("tricky_rot", admin: admin)
        defer { fixture.drop() }
        let (repository, _, directory) = try makeTestRepositoryFolder(packSize: 256 << 10)
        let (_, manifest) = try DrillFixture.backup(fixture.database, admin: admin, into: repository)

        // Damage the pack holding the first chunk of the 20 MB value, in one blob's ciphertext.
        let table = try #require(manifest.tables.first { $0.table.description == "extra.Mixed Case" })
        let chunk = try #require(table.parts.first?.chunks.first)
        let location = try #require(repository.currentIndex.location(.data, chunk))
        let pack = location.pack.hex
        let path = directory.sub("repo/data/\(pack.prefix(2))/\(pack)")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[location.offset + location.length / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let target = fixture.database + "_new"
        let reopened = try Repository.open(backend: LocalBackend(path: directory.sub("repo")), passphrase: Array("test".utf8))
        let error = try #require(throws: RestoreError.self) {
            try DatabaseRestorer(connection: admin, store: reopened, manifest: manifest,
                                 options: RestoreOptions(target: target, jobs: 2)).run()
        }
        #expect(error.description.contains("extra.\"Mixed Case\"") || error.description.contains("extra.Mixed Case"), "\(error)")
        #expect(error.description.contains(String(pack.prefix(8))), "the pack is not named: \(error)")
        #expect(try !RestoreComparison.databaseExists(target, admin: admin))
        #expect(try RestoreComparison.databases(like: target, admin: admin).isEmpty)
    }
}
