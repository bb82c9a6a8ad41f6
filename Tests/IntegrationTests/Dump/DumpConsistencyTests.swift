import Foundation
import StackBackupKit
import StackBackupTestSupport
import Synchronization
import Testing

/// A dump is one instant even while the application keeps writing.
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct DumpConsistencyTests {
    static let accounts = 40_000
    static let opening = 1_000

    /// One transfer: money leaves one account and arrives in another (in
    /// another key range, so in another COPY part), in one transaction.
    static func transfer(_ connection: PGConnection, _ n: Int) throws {
        let from = 1 + (n * 7919) % accounts
        let to = 1 + (from + accounts / 2) % accounts
        try connection.execute("""
            BEGIN; UPDATE account SET balance = balance - 17 WHERE id = \(from);
            UPDATE account SET balance = balance + 17 WHERE id = \(to);
            UPDATE ledger SET transfers = transfers + 1; COMMIT
            """)
    }

    @Test func restoredCopyOfADumpTakenDuringTransfersHoldsExactlyTheTotal() throws {
        let server = try #require(try TestPostgres.requireServer())
        let admin = server.withDatabase("postgres")
        let name = try TestPostgres.createScratchDatabase(prefix: "dump_bank")
        let copy = name + "_copy"
        defer { try? TestPostgres.dropDatabase(name); try? TestPostgres.dropDatabase(copy) }
        let db = admin.withDatabase(name)
        try PGConnection.connect(db).execute("""
            CREATE TABLE account (id int PRIMARY KEY, balance bigint NOT NULL, owner text NOT NULL);
            INSERT INTO account SELECT i, \(Self.opening), 'owner ' || i || repeat(' .', 20) FROM generate_series(1, \(Self.accounts)) AS i;
            CREATE TABLE ledger (transfers bigint NOT NULL);
            INSERT INTO ledger VALUES (0);
            ANALYZE;
            """)

        // A writer that never stops while the dump runs, and one transfer at
        // every progress event, so commits surely fall between the parts' reads.
        let background = try PGConnection.connect(db)
        let inline = try PGConnection.connect(db)
        for n in 0..<10 { try Self.transfer(inline, 2_000_000 + n) } // some before the snapshot
        let state = WriterState()
        let writer = Thread {
            var n = 0
            while !state.stopped {
                do { try Self.transfer(background, n); n += 1; state.count(1) } catch { state.fail("\(error)"); return }
            }
        }
        writer.start()
        let transfers = Mutex(0)
        let options = DumpOptions(gear: try GearTable(seed: SecretBytes([UInt8](repeating: 3, count: 32))), jobs: 2,
                                  splitThresholdBytes: 256 << 10)
        let store = MemoryBlobStore()
        let manifest: DatabaseManifest
        do {
            defer { state.stop(); while !writer.isFinished { usleep(1000) } }
            manifest = try DatabaseDumper(connection: admin, store: store, options: options) { _ in
                // Progress calls never overlap (the dumper reports under its lock).
                let done = transfers.withLock { $0 }
                if (try? Self.transfer(inline, 1_000_000 + done)) != nil { transfers.withLock { $0 += 1 } }
            }.dump(database: name).manifest
        }
        #expect(state.failure == nil, "writer failed: \(state.failure ?? "")")
        let parts = try #require(manifest.tables.first { $0.table.name == "account" }).parts.count
        #expect(parts > 2, "the account table should be read in several parts")
        let inlineTransfers = transfers.withLock { $0 }
        #expect(inlineTransfers >= parts, "only \(inlineTransfers) transfers committed during the dump")

        _ = try DatabaseRestorer(connection: admin, store: store, manifest: manifest,
                                 options: RestoreOptions(target: copy, jobs: 2)).run()
        let restored = try PGConnection.connect(admin.withDatabase(copy))
        let totals = try restored.execute("SELECT sum(balance)::bigint, count(*) FROM account")
        #expect(totals.int(0, 0) == Int64(Self.accounts * Self.opening), "the restored total broke the invariant")
        #expect(totals.int(0, 1) == Int64(Self.accounts))
        // The copy is one instant: its ledger counts exactly the transfers its balances show.
        let moved = try restored.execute("SELECT count(*) FROM account WHERE balance <> \(Self.opening)").int(0, 0) ?? 0
        let counted = try restored.execute("SELECT transfers FROM ledger").int(0, 0) ?? -1
        #expect(counted >= 10 && moved > 0, "the transfers before the snapshot are missing: \(counted)")
        let live = try PGConnection.connect(db).execute("SELECT transfers FROM ledger").int(0, 0) ?? 0
        #expect(live > counted, "the writer committed nothing after the snapshot (\(live) vs \(counted))")
    }
}

/// The background writer's counters, shared with the test thread.
private final class WriterState: @unchecked Sendable {
    private let lock = NSLock()
    private var _stopped = false
    private var _transfers = 0
    private var _failure: String?
    var stopped: Bool { lock.withLock { _stopped } }
    var failure: String? { lock.withLock { _failure } }
    func stop() { lock.withLock { _stopped = true } }
    func count(_ n: Int) { lock.withLock { _transfers += n } }
    func fail(_ message: String) { lock.withLock { _failure = message; _stopped = true } }
}
