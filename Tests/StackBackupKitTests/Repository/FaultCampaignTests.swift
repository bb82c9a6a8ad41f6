import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// Seeded campaigns in the style of restic's and kopia's fault tests, small
/// enough for CI: random bit flips in every kind of repository file, and an
/// I/O error injected at each storage call of a backup in turn. The outcome
/// of every trial is "detected" or "harmless" (every snapshot still restores
/// byte-identical); a silent corruption fails the test.
@Suite struct FaultCampaignTests {
    static let passphrase = Array("test".utf8)

    /// A source folder (60 files, nested, 1.5 MB) and a repository with two
    /// snapshots of it (the second after a change) in small packs.
    struct Fixture {
        let source: TemporaryDirectory
        let backend: MemoryBackend
        let snapshots: [ObjectID]

        init() throws {
            source = TemporaryDirectory("stackbackup-campaign")
            var random = SeededRandom(seed: 42)
            for i in 0..<60 {
                let size = i % 10 == 0 ? 100_000 + i * 1_000 : 200 + i * 37
                _ = try source.write("d\(i % 4)/e\(i % 3)/file \(i).bin",
                                     String((0..<size).map { _ in Character(UnicodeScalar(UInt8(32 + random.next() % 90))) }))
            }
            backend = MemoryBackend()
            let repository = try TestRepository(backend: backend, packSize: 256 << 10)
            var ids: [ObjectID] = []
            ids.append(try Fixture.backup(source.path, into: repository))
            _ = try source.write("d1/changed.txt", "changed after the first snapshot\n")
            ids.append(try Fixture.backup(source.path, into: repository))
            snapshots = ids
        }

        static func backup(_ path: String, into repository: Repository) throws -> ObjectID {
            let outcome = try VolumeBackupJob.run(VolumeBackupRequest(name: "data", path: path), repository: repository)
            return try #require(outcome.snapshotID)
        }
    }

    /// Restores every snapshot of `backend` and compares the newest with the source.
    static func restoresIdentically(_ backend: Backend, source: String) throws -> Bool {
        let repository = try Repository.open(backend: backend, passphrase: passphrase)
        let records = try repository.listSnapshots().snapshots.sorted { $0.snapshot.time < $1.snapshot.time }
        guard let newest = records.last else { return false }
        for record in records {
            let target = TemporaryDirectory("stackbackup-campaign-restore")
            let result = try VolumeRestorer(store: repository, tree: record.snapshot.root,
                                            options: VolumeRestoreOptions(target: target.sub("t"))).run()
            guard result.errors.isEmpty else { return false }
            if record.id == newest.id, try FileTree.capture(target.sub("t")) != FileTree.capture(source) { return false }
        }
        return true
    }

    @Test func twoHundredBitFlipsAreDetectedOrHarmless() throws {
        let fixture = try Fixture()
        var random = SeededRandom(seed: 2026)
        let kinds: [FileKind] = [.pack, .index, .snapshot, .key, .config]
        var files: [Handle] = []
        for kind in kinds { for (name, _) in try fixture.backend.list(kind) { files.append(Handle(kind, name)) } }
        var detected = 0, harmless = 0, silent: [String] = []
        let trials = 200
        for trial in 0..<trials {
            let storage = try fixture.backend.copy()
            let handle = files[Int(random.next() % UInt64(files.count))]
            let size = try storage.load(handle).count
            let offset = Int(random.next() % UInt64(size)), bit = UInt8(1) << UInt8(random.next() % 8)
            storage.corrupt(handle) { $0[offset] ^= bit }
            let what = "trial \(trial): bit \(bit) of byte \(offset)/\(size) in \(handle.relativePath)"
            do {
                let repository = try Repository.open(backend: storage, passphrase: Self.passphrase)
                let names = try Checker.checkFileNames(backend: storage)
                let data = try Checker().check(repository: repository, readData: .all)
                if !names.isClean || !data.isClean || !repository.damagedIndexSegments.isEmpty {
                    detected += 1
                    continue
                }
            } catch {
                detected += 1  // the repository does not open: reported, not silent
                continue
            }
            if (try? Self.restoresIdentically(storage, source: fixture.source.path)) == true { harmless += 1 } else { silent.append(what) }
        }
        print("bit-flip campaign: \(trials) flips in \(files.count) files: \(detected) detected, \(harmless) harmless, \(silent.count) silent")
        #expect(silent.isEmpty, "undetected damage changed what a restore returns: \(silent)")
        #expect(detected + harmless == trials)
        #expect(detected >= trials * 9 / 10, "only \(detected) of \(trials) flips were detected (\(harmless) harmless)")
    }

    /// Each save, load and list call of a backup fails in turn, once (a
    /// transient EIO) or for good (a crash): the backup either fails naming the
    /// I/O error, leaving a repository whose snapshots all restore, or succeeds
    /// with a snapshot that restores byte-identical.
    @Test(arguments: [FaultyBackend.Operation.save, .load, .list])
    func anIOErrorAtAnyCallOfABackupIsReportedAndLosesNothing(_ operation: FaultyBackend.Operation) throws {
        let fixture = try Fixture()
        try FileTree.writeRandom(fixture.source.sub("d2/new.bin"), count: 3 << 20, seed: 9)  // ≈ 12 new packs
        let counting = FaultyBackend(try fixture.backend.copy())
        counting.count([operation])
        _ = try Fixture.backup(fixture.source.path, into: try Repository.open(backend: counting, passphrase: Self.passphrase))
        let calls = counting.callCount
        #expect(calls > 0)
        var failed = 0, succeeded = 0
        for call in 1...calls {
            for crash in [false, true] {
                let storage = try fixture.backend.copy()
                let faulty = FaultyBackend(storage)
                let label = "\(crash ? "crash" : "EIO") at \(operation) call \(call) of \(calls)"
                do {
                    let repository = try Repository.open(backend: faulty, passphrase: Self.passphrase)
                    faulty.fail(call: call, of: [operation], crash: crash)
                    _ = try Fixture.backup(fixture.source.path, into: repository)
                    succeeded += 1
                } catch {
                    failed += 1
                    #expect(!(error is CancellationError) && !(error is InterruptedError), "\(label): reported \(error)")
                    #expect("\(error)".contains("injected") || "\(error)".contains("lock"), "\(label): the I/O error is not named: \(error)")
                }
                _ = try Repository.open(backend: storage, passphrase: Self.passphrase).removeLocks(staleOnly: false)
                #expect(try Self.restoresIdentically(storage, source: fixture.source.path) || failed > 0,
                        "\(label): a snapshot does not restore")
                let report = try Checker().check(repository: try Repository.open(backend: storage, passphrase: Self.passphrase), readData: .all)
                #expect(report.damagedBlobs.isEmpty && report.missingBlobs.isEmpty && report.affectedSnapshots.isEmpty,
                        "\(label): \(report.summary)")
            }
        }
        print("I/O-fault campaign (\(operation)): \(2 * calls) backups, \(failed) failed naming the error, \(succeeded) succeeded; 0 lost data")
        #expect(failed + succeeded == 2 * calls)
    }
}
