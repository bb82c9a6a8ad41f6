import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// Prune on a real folder repository with real volume snapshots.
@Suite(.serialized) struct PruneVolumeTests {
    static func write(_ path: String, _ bytes: [UInt8]) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func diff(_ a: String, _ b: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        process.arguments = ["-r", "--no-dereference", a, b]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    static func backup(_ repository: Repository, _ source: String, parent: ObjectID?) throws -> (snapshot: ObjectID, tree: ObjectID) {
        let options = VolumeBackupOptions(parallelism: 2, gear: repository.gearTable)
        let result = try VolumeArchiver(store: repository, options: options).archive(path: source, parentTree: parent)
        let id = try repository.saveSnapshot(Snapshot(time: Date(), host: "nas", kind: .volume, source: "media", root: result.tree,
                                                      path: source, stats: result.stats))
        return (id, result.tree)
    }

    @Test func forgettingOldVolumeSnapshotsAndPruningKeepsTheOthersBitIdentical() throws {
        let (repository, backend, directory) = try makeTestRepositoryFolder(packSize: 1 << 20)
        let source = directory.sub("src")
        var random = SeededRandom(seed: 2024)
        // Night 1: three files. Night 2: one replaced, one added. Night 3: another replaced.
        try Self.write(source + "/a.bin", random.bytes(3 << 20))
        try Self.write(source + "/b.bin", random.bytes(2 << 20))
        try Self.write(source + "/docs/c.txt", Array(repeating: 0x41, count: 100_000))
        let night1 = try Self.backup(repository, source, parent: nil)
        try Self.write(source + "/a.bin", random.bytes(3 << 20))
        try Self.write(source + "/d.bin", random.bytes(1 << 20))
        let night2 = try Self.backup(repository, source, parent: night1.tree)
        let copy2 = directory.sub("night2")
        _ = try VolumeRestorer(store: repository, tree: night2.tree, options: VolumeRestoreOptions(target: copy2)).run()
        try Self.write(source + "/b.bin", random.bytes(2 << 20))
        let night3 = try Self.backup(repository, source, parent: night2.tree)

        try repository.removeSnapshot(night1.snapshot)
        let before = try PruneFixture.packBytes(backend)
        let report = try PruneJob.run(repository: repository, options: PruneOptions(), progress: nil)
        let after = try PruneFixture.packBytes(backend)
        #expect(report.bytesFreed >= 3 << 20, "\(report.summary)")  // night 1's a.bin
        #expect(Int64(before - after) == report.bytesFreed)

        for (tree, expected, name) in [(night2.tree, copy2, "night2"), (night3.tree, source, "night3")] {
            let target = directory.sub("restored-\(name)")
            let restored = try VolumeRestorer(store: repository, tree: tree, options: VolumeRestoreOptions(target: target)).run()
            #expect(restored.errors.isEmpty, "\(restored.errors)")
            let (status, output) = try Self.diff(expected, target)
            #expect(status == 0, "\(name): \(output)")
        }
        let reopened = try Repository.open(backend: backend, passphrase: Array("test".utf8))
        let check = try Checker().check(repository: reopened, readData: .all)
        #expect(check.isClean && check.unindexedPacks == 0, "\(check.summary)")

        let second = try PruneJob.run(repository: reopened, options: PruneOptions(), progress: nil)
        #expect(second.bytesFreed == 0 && second.packsDeleted == 0 && second.packsRepacked == 0)
    }
}
