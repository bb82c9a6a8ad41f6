import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite struct PruneTests {
    @Test func pruningAfterForgetFreesTheDeadPacksRepacksTheMixedOneAndKeepsEverySnapshotIntact() throws {
        let fixture = try PruneFixture()
        try fixture.forgetOld()
        let before = try PruneFixture.packBytes(fixture.backend)
        let report = try PruneJob.run(repository: fixture.repository, options: PruneOptions(), progress: nil)
        let after = try PruneFixture.packBytes(fixture.backend)

        #expect(report.packsDeleted >= 2)
        #expect(report.packsRepacked >= 1)
        #expect(report.bytesFreed > 6 * 20_000)
        #expect(Int64(before - after) == report.bytesFreed)
        #expect(report.blobsRemoved >= PruneFixture.deadNames.count)
        #expect(!report.dryRun && report.summary.contains("freed"))
        #expect(try fixture.backend.list(.index).count == 1)
        // The dead blobs are gone from the index; the live ones are all there.
        for name in PruneFixture.deadNames { #expect(!fixture.repository.hasBlob(.data, id: fixture.ids[name]!), "\(name)") }
        try PruneFixture.expectKeptSnapshotsIntact(fixture.backend, fixture)
        let check = try Checker().check(repository: fixture.repository, readData: .all)
        #expect(check.unindexedPacks == 0)
    }

    @Test func aDryRunChangesNothingAndPredictsTheRealRun() throws {
        let fixture = try PruneFixture()
        try fixture.forgetOld()
        let files = try PruneFixture.files(fixture.backend)
        let dry = try PruneJob.run(repository: fixture.repository, options: PruneOptions(dryRun: true), progress: nil)
        #expect(try PruneFixture.files(fixture.backend) == files)
        #expect(try fixture.backend.list(.lock).isEmpty)
        #expect(dry.dryRun && dry.summary.contains("dry run"))

        let real = try PruneJob.run(repository: fixture.repository, options: PruneOptions(), progress: nil)
        #expect(dry.packsDeleted == real.packsDeleted && dry.packsRepacked == real.packsRepacked)
        #expect(dry.bytesRepacked == real.bytesRepacked && dry.blobsRemoved == real.blobsRemoved)
        // Estimated: the new packs' headers are not known before they are written.
        #expect(abs(dry.bytesFreed - real.bytesFreed) < 1_000)
    }

    @Test func aSecondPruneFreesNothingAndWritesNothing() throws {
        let fixture = try PruneFixture()
        try fixture.forgetOld()
        _ = try PruneJob.run(repository: fixture.repository, options: PruneOptions(), progress: nil)
        let files = try PruneFixture.files(fixture.backend)
        let second = try PruneJob.run(repository: fixture.repository, options: PruneOptions(), progress: nil)
        #expect(second.bytesFreed == 0 && second.packsDeleted == 0 && second.packsRepacked == 0 && second.blobsRemoved == 0)
        #expect(second.indexSegmentsReplaced == 0)
        #expect(try PruneFixture.files(fixture.backend) == files)
    }

    @Test func pruningWithNothingForgottenOnlyMergesTheIndexSegments() throws {
        let fixture = try PruneFixture()
        #expect(try fixture.backend.list(.index).count > 1)
        let packs = try Set(fixture.backend.list(.pack).map(\.name))
        let report = try PruneJob.run(repository: fixture.repository, options: PruneOptions(maxUnused: 1), progress: nil)
        #expect(report.packsDeleted == 0 && report.packsRepacked == 0 && report.bytesFreed == 0)
        #expect(try Set(fixture.backend.list(.pack).map(\.name)) == packs)
        #expect(try fixture.backend.list(.index).count == 1)
        try PruneFixture.expectKeptSnapshotsIntact(fixture.backend, fixture)
    }

    @Test func aMaxUnusedOfOneKeepsPartlyUsedPacks() throws {
        let fixture = try PruneFixture()
        try fixture.forgetOld()
        let report = try PruneJob.run(repository: fixture.repository, options: PruneOptions(maxUnused: 1), progress: nil)
        #expect(report.packsRepacked == 0 && report.packsDeleted >= 2)
        #expect(report.bytesUnusedRemaining >= 20_000)  // x1 stays in its pack
        try PruneFixture.expectKeptSnapshotsIntact(fixture.backend, fixture)
    }

    @Test func packsNoIndexNamesAreRemoved() throws {
        let fixture = try PruneFixture()
        // A pack an interrupted backup wrote but never indexed.
        let stray = try TestRepository(backend: MemoryBackend(), packSize: 64 << 10)
        var random = SeededRandom(seed: 1)
        _ = try stray.saveBlob(.data, bytes: random.bytes(10_000))
        try stray.flush()
        let (name, _) = try #require(stray.backend.list(.pack).first)
        try fixture.backend.save(Handle(.pack, name), stray.backend.load(Handle(.pack, name)))
        let report = try PruneJob.run(repository: fixture.repository, options: PruneOptions(), progress: nil)
        #expect(report.packsDeleted == 1)
        #expect(try !fixture.backend.exists(Handle(.pack, name)))
    }

    @Test func aMissingPackHoldingNothingLiveIsDroppedFromTheIndex() throws {
        let fixture = try PruneFixture()
        try fixture.forgetOld()
        let dead = try #require(fixture.repository.currentIndex.location(.data, fixture.ids["a5"]!)).pack
        try fixture.backend.remove(Handle(.pack, dead))
        _ = try PruneJob.run(repository: fixture.repository, options: PruneOptions(), progress: nil)
        #expect(fixture.repository.currentIndex.pack(dead) == nil)
        try PruneFixture.expectKeptSnapshotsIntact(fixture.backend, fixture)
    }

    @Test func theRunTakesTheExclusiveLockAndFailsWhileAnotherHoldsOne() throws {
        let fixture = try PruneFixture()
        let other = try Repository.open(backend: fixture.backend, passphrase: PruneFixture.passphrase)
        let lock = try other.lock(exclusive: false, command: "backup")
        #expect { _ = try PruneJob.run(repository: fixture.repository, options: PruneOptions(), progress: nil) } throws: { error in
            (error as? RepositoryError)?.code == .locked
        }
        try lock.release()
        #expect(throws: RepositoryError.self) {
            _ = try PruneJob.run(repository: fixture.repository, options: PruneOptions(maxUnused: 2), progress: nil)
        }
    }
}

/// Prune refuses to run, and deletes nothing, when deleting could lose data.
@Suite struct PruneRefusalTests {
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case indexSegment, snapshot, tree, manifest, liveBlobInMissingPack
        var testDescription: String { rawValue }
    }

    @Test(arguments: Damage.allCases)
    func pruneRefusesWhenSomethingCannotBeLoaded(_ damage: Damage) throws {
        let fixture = try PruneFixture()
        try fixture.forgetOld()
        let repository = fixture.repository
        switch damage {
        case .indexSegment:
            let (name, _) = try #require(fixture.backend.list(.index).first)
            fixture.backend.corrupt(Handle(.index, name)) { $0[$0.count - 5] ^= 1 }
        case .snapshot:
            fixture.backend.corrupt(Handle(.snapshot, fixture.s3)) { $0[$0.count - 5] ^= 1 }
        case .tree, .manifest:
            let snapshot = try repository.loadSnapshot(damage == .tree ? fixture.s3 : fixture.db)
            let location = try #require(repository.currentIndex.location(damage == .tree ? .tree : .manifest, snapshot.root))
            fixture.backend.corrupt(Handle(.pack, location.pack)) { $0[location.offset + 3] ^= 1 }
        case .liveBlobInMissingPack:
            let location = try #require(repository.currentIndex.location(.data, fixture.ids["h1"]!))
            try fixture.backend.remove(Handle(.pack, location.pack))
        }
        let reopened = try Repository.open(backend: fixture.backend, passphrase: PruneFixture.passphrase)
        let files = try PruneFixture.files(fixture.backend)
        #expect { _ = try PruneJob.run(repository: reopened, options: PruneOptions(), progress: nil) } throws: { error in
            let text = "\(error)"
            return error is IntegrityError && text.contains("prune stopped")
        }
        #expect(try PruneFixture.files(fixture.backend) == files)
        #expect(try fixture.backend.list(.lock).isEmpty)
    }
}
