import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// The damage-injection matrix: each kind of damage is found, named, and
/// reported (never thrown, never a crash), by the full check and — for every
/// change to a stored file — by the key-less file-name check.
///
/// Fixture (`CheckerFixture`): pack P1 = {a, b1}, pack P2 = {b2, trees};
/// one volume snapshot with docs/a.txt = [a] and b.bin = [b1, b2].
@Suite struct DamageMatrixTests {
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case flippedByteInBlob, flippedByteInPackHeader, flippedByteInIndexSegment, flippedByteInSnapshot
        case packDeleted, packTruncated, packReplacedByAnother, indexNamesMissingPack
        var testDescription: String { rawValue }
    }

    @Test(arguments: Damage.allCases)
    func damageIsFoundAndNamed(_ damage: Damage) throws {
        let fixture = try CheckerFixture()
        let backend = fixture.backend
        let p1 = try fixture.pack(of: fixture.a).pack
        let p2 = try fixture.pack(of: fixture.b2).pack
        #expect(p1 != p2)
        let p1Path = Handle(.pack, p1).relativePath
        var changedPath = p1Path
        var ghostBlob: ObjectID?

        switch damage {
        case .flippedByteInBlob:
            _ = try fixture.flipByte(inBlob: fixture.a)
        case .flippedByteInPackHeader:
            backend.corrupt(Handle(.pack, p1)) { $0[$0.count - Pack.trailerSize - 6] ^= 0x01 }
        case .flippedByteInIndexSegment:
            let (name, _) = try #require(backend.list(.index).first)
            changedPath = Handle(.index, name).relativePath
            backend.corrupt(Handle(.index, name)) { $0[$0.count / 2] ^= 0x01 }
        case .flippedByteInSnapshot:
            changedPath = Handle(.snapshot, fixture.snapshot).relativePath
            backend.corrupt(Handle(.snapshot, fixture.snapshot)) { $0[$0.count - 3] ^= 0x01 }
        case .packDeleted:
            try backend.remove(Handle(.pack, p1))
        case .packTruncated:
            backend.corrupt(Handle(.pack, p1)) { $0.removeLast(1000) }
        case .packReplacedByAnother:
            let other = try backend.load(Handle(.pack, p2))
            backend.corrupt(Handle(.pack, p1)) { $0 = other }
        case .indexNamesMissingPack:
            let ghostPack = ObjectID(bytes: [UInt8](repeating: 0xAB, count: 32))!
            let ghost = ObjectID(bytes: [UInt8](repeating: 0xCD, count: 32))!
            ghostBlob = ghost
            changedPath = Handle(.pack, ghostPack).relativePath
            let entry = Pack.Entry(type: .data, flags: 0, rawLength: 10, storedLength: 26, id: ghost, offset: Pack.prefixSize, position: 0)
            let record = IndexSegment.PackRecord(id: ghostPack, salt: [UInt8](repeating: 1, count: 32), size: 200, entries: [entry])
            // Written as the repository writes segments: with the key-less pack list.
            let sealed = try IndexSegment(packs: [record]).sealed(key: fixture.repository.masterKey)
            try backend.save(Handle(.index, SHA256.hash(sealed)), sealed)
        }

        // The full check, on a freshly opened repository: a report, never a throw.
        let repository = try Repository.open(backend: backend, passphrase: Array("test".utf8))
        let report = try Checker().check(repository: repository, readData: .all)
        #expect(!report.isClean, "\(damage) went unnoticed")
        let named = report.summary.joined(separator: "\n")
        switch damage {
        case .flippedByteInBlob:
            #expect(report.damagedPacks.map(\.path) == [p1Path])
            #expect(report.damagedBlobs.map(\.id) == [fixture.a])
            #expect(report.affectedSnapshots.first?.items == ["docs/a.txt"])
        case .flippedByteInPackHeader:
            #expect(report.damagedPacks.contains { $0.path == p1Path && $0.reason.contains("header") }, "\(named)")
            // The structure check alone (no data read) finds it too.
            let structure = try Checker().check(repository: repository, readData: .none)
            #expect(structure.damagedPacks.map(\.path) == [p1Path], "\(structure.summary)")
        case .flippedByteInIndexSegment:
            #expect(report.damagedIndexSegments.map(\.path) == [changedPath])
            #expect(!report.missingBlobs.isEmpty)
            #expect(report.affectedSnapshots.map(\.id) == [fixture.snapshot])
        case .flippedByteInSnapshot:
            #expect(report.damagedSnapshots.map(\.path) == [changedPath])
        case .packDeleted:
            #expect(report.damagedPacks.map(\.path) == [p1Path] && report.damagedPacks.first?.reason == "is missing")
            #expect(Set(report.damagedBlobs.map(\.id)) == [fixture.a, fixture.b1])
            #expect(report.affectedSnapshots.first?.items == ["b.bin", "docs/a.txt"])
        case .packTruncated:
            #expect(report.damagedPacks.contains { $0.path == p1Path }, "\(named)")
            #expect(report.damagedBlobs.map(\.id).contains(fixture.b1))
            #expect(report.affectedSnapshots.first?.items.contains("b.bin") == true)
        case .packReplacedByAnother:
            #expect(report.damagedPacks.contains { $0.path == p1Path }, "\(named)")
            #expect(Set(report.damagedBlobs.map(\.id)) == [fixture.a, fixture.b1], "\(named)")
            #expect(report.affectedSnapshots.first?.items == ["b.bin", "docs/a.txt"])
        case .indexNamesMissingPack:
            #expect(report.damagedPacks.map(\.path) == [changedPath] && report.damagedPacks.first?.reason == "is missing")
            #expect(report.damagedBlobs.map(\.id) == [ghostBlob])
            #expect(report.affectedSnapshots.isEmpty)  // no snapshot uses the ghost blob
        }

        // Every kind is visible without the key, and the key-less check names
        // exactly the changed file: file names carry SHA-256s (a changed or
        // truncated file no longer matches its name) and index segments carry
        // a plaintext pack list (a deleted or ghost pack is named by it).
        let filesOnly = try Checker.checkFileNames(backend: backend)
        let flagged = (filesOnly.damagedPacks + filesOnly.damagedIndexSegments + filesOnly.damagedSnapshots + filesOnly.damagedFiles).map(\.path)
        #expect(flagged == [changedPath], "\(damage)")
    }

    @Test func aCheckThatCannotRunThrowsInsteadOfReportingDamage() throws {
        let fixture = try CheckerFixture()
        let faulty = FaultyBackend(fixture.backend)
        let repository = try Repository.open(backend: faulty, passphrase: Array("test".utf8))
        faulty.fail(call: 1, of: [.list])
        #expect(throws: BackendError.self) { _ = try Checker().check(repository: repository, readData: .all) }
        faulty.fail(call: 1, of: [.list])
        #expect(throws: BackendError.self) { _ = try Checker.checkFileNames(backend: faulty) }
    }

    @Test func garbageInEveryFileNeverCrashesTheChecker() throws {
        var random = SeededRandom(seed: 77)
        for _ in 0..<5 {
            let fixture = try CheckerFixture()
            for kind in [FileKind.pack, .index, .snapshot] {
                for (name, size) in try fixture.backend.list(kind) {
                    let junk = random.bytes(Int(random.next() % UInt64(max(size, 1) * 2)))
                    fixture.backend.corrupt(Handle(kind, name)) { $0 = junk }
                }
            }
            let repository = try Repository.open(backend: fixture.backend, passphrase: Array("test".utf8))
            let report = try Checker().check(repository: repository, readData: .all)
            #expect(!report.isClean)
            #expect(try !Checker.checkFileNames(backend: fixture.backend).isClean)
        }
    }
}
