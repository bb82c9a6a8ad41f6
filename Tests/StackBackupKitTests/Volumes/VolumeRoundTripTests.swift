import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite("Volume backup and restore round trips", .serialized)
struct VolumeRoundTripTests {
    typealias F = VolumeFixtures

    /// Builds the tricky tree of the issue under `root`.
    static func buildTrickyTree(_ root: String, bigFileSize: Int) throws {
        let r = { (s: String) in F.path(root, Array(s.utf8)) }
        try F.writeFile(r("empty"), [])
        try F.mkdir(r("empty dir"))
        try F.mkdir(r("with space"))
        try F.writeFile(r("with space/a file.txt"), Array("hello\n".utf8))
        try F.writeFile(r("new\nline"), Array("newline name\n".utf8))
        let latin1: [UInt8] = [0x63, 0x61, 0x66, 0xE9, 0xFF]  // "caf\xE9\xFF": not UTF-8
        try F.writeFile(F.path(root, latin1), Array("latin1 name".utf8))
        try F.writeRandomFile(root + "/big.bin", size: bigFileSize, seed: 42)
        try F.writeFile(r("secret"), Array("0600".utf8), mode: 0o600)
        try F.writeFile(r("tool.sh"), Array("#!/bin/sh\n".utf8), mode: 0o755)
        try F.mkdir(r("shared"), mode: 0o2775)
        try F.writeFile(r("shared/data"), Array(repeating: 0x41, count: 3000))
        _ = symlink("with space/a file.txt", root + "/link")
        _ = symlink("does/not/exist", root + "/dangling")
        _ = Glibc.link(root + "/shared/data", root + "/hardlink")
        F.setMtime(r("secret"), ns: 1_600_000_000_123_456_789)
        F.setMtime(r("link"), ns: 1_500_000_000_000_000_001)
        F.setMtime(r("empty dir"), ns: 1_400_000_000_987_654_321)
    }

    @Test func aTrickyTreeRestoresIdenticallyAndANoChangeRerunReadsNothing() throws {
        let dir = TemporaryDirectory()
        let source = dir.sub("src"), target = dir.sub("dst")
        try F.mkdir(Array(source.utf8))
        try Self.buildTrickyTree(source, bigFileSize: 300 << 20)
        let store = MemoryBlobStore()

        let first = try VolumeArchiver(store: store, options: F.options()).archive(path: source, parentTree: nil)
        #expect(first.warnings.isEmpty)
        #expect(first.stats.filesNew == 8)  // the hard link's second name reuses the first's content
        #expect(first.stats.bytesRead >= 300 << 20)

        let restored = try VolumeRestorer(store: store, tree: first.tree, options: VolumeRestoreOptions(target: target)).run()
        #expect(restored.errors.isEmpty, "\(restored.errors)")
        let (status, output) = try F.run("/usr/bin/diff", ["-r", "--no-dereference", source, target])
        #expect(status == 0, "\(output)")
        let a = try F.snapshotOfMetadata(source), b = try F.snapshotOfMetadata(target)
        #expect(a.entries == b.entries)
        #expect(a.links == b.links && b.links.count == 1)

        // Second run with the first as parent and nothing changed.
        store.resetCounters()
        let second = try VolumeArchiver(store: store, options: F.options()).archive(path: source, parentTree: first.tree)
        #expect(second.tree == first.tree)
        #expect(store.saves(.data) == 0)
        #expect(second.stats.bytesRead == 0)
        #expect(second.stats.blobsAdded == 0)
        #expect(second.stats.filesUnchanged == 8)
        #expect(second.stats.filesNew + second.stats.filesChanged == 0)
    }

    @Test func changingOneByteInALargeFileAddsAboutOneChunk() throws {
        let dir = TemporaryDirectory()
        let source = dir.sub("src")
        try F.mkdir(Array(source.utf8))
        try F.writeRandomFile(source + "/large.bin", size: 64 << 20, seed: 7)
        let store = MemoryBlobStore()
        let first = try VolumeArchiver(store: store, options: F.options()).archive(path: source, parentTree: nil)
        let chunks = store.newBlobs(.data)
        #expect(chunks >= 8 && chunks <= 128)

        let fd = open(source + "/large.bin", O_WRONLY)
        var byte: UInt8 = 0x5A
        #expect(pwrite(fd, &byte, 1, off_t(32 << 20)) == 1)
        close(fd)
        store.resetCounters()
        let second = try VolumeArchiver(store: store, options: F.options()).archive(path: source, parentTree: first.tree)
        #expect(second.stats.filesChanged == 1)
        #expect(store.newBlobs(.data) >= 1 && store.newBlobs(.data) <= 2)
        #expect(second.stats.bytesAdded < 17 << 20)
    }

    @Test func excludedEntriesAreNotArchived() throws {
        let dir = TemporaryDirectory()
        try dir.write("src/keep.txt", "keep")
        try dir.write("src/debug.log", "log")
        try dir.write("src/sub/trace.log", "log")
        try dir.write("src/thumbs/a.jpg", "jpg")
        try dir.write("src/library/x/thumbs/b.jpg", "jpg")
        try dir.write("src/library/x/photo.jpg", "jpg")
        let store = MemoryBlobStore()
        let options = F.options(excludes: ["*.log", "/thumbs", "library/**/thumbs/"])
        let result = try VolumeArchiver(store: store, options: options).archive(path: dir.sub("src"), parentTree: nil)
        let paths = try SnapshotTree.list(store: store, tree: result.tree, path: nil).map(\.displayPath)
        #expect(paths == ["keep.txt", "library", "library/x", "library/x/photo.jpg", "sub"])
    }

    @Test func aCorruptedBlobFailsOnlyItsFile() throws {
        let dir = TemporaryDirectory()
        try dir.write("src/good.txt", "good content")
        try dir.write("src/bad.txt", "content that will be damaged")
        try dir.write("src/sub/also-good.txt", "fine")
        let store = MemoryBlobStore()
        let result = try VolumeArchiver(store: store, options: F.options()).archive(path: dir.sub("src"), parentTree: nil)
        let bad = try #require(try SnapshotTree.list(store: store, tree: result.tree, path: "bad.txt").first?.node.content?.first)
        store.corrupt(id: bad)

        let restored = try VolumeRestorer(store: store, tree: result.tree, options: VolumeRestoreOptions(target: dir.sub("dst"))).run()
        #expect(restored.errors.map(\.path) == ["bad.txt"])
        #expect(restored.errors.first?.message.contains("integrity") == true)
        #expect(restored.files == 2)
        #expect(!FileManager.default.fileExists(atPath: dir.sub("dst/bad.txt")))
        #expect(try String(contentsOfFile: dir.sub("dst/good.txt"), encoding: .utf8) == "good content")
        #expect(try String(contentsOfFile: dir.sub("dst/sub/also-good.txt"), encoding: .utf8) == "fine")
    }

    @Test func aNonEmptyTargetIsRefusedAndLeftUntouched() throws {
        let dir = TemporaryDirectory()
        try dir.write("src/a.txt", "a")
        try dir.write("dst/existing.txt", "mine")
        let store = MemoryBlobStore()
        let result = try VolumeArchiver(store: store, options: F.options()).archive(path: dir.sub("src"), parentTree: nil)
        let error = #expect(throws: VolumeError.self) {
            try VolumeRestorer(store: store, tree: result.tree, options: VolumeRestoreOptions(target: dir.sub("dst"))).run()
        }
        #expect(error?.code == .targetNotEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.sub("dst")) == ["existing.txt"])

        let overwritten = try VolumeRestorer(store: store, tree: result.tree,
                                             options: VolumeRestoreOptions(target: dir.sub("dst"), overwrite: true)).run()
        #expect(overwritten.errors.isEmpty)
        #expect(try String(contentsOfFile: dir.sub("dst/a.txt"), encoding: .utf8) == "a")
    }

    @Test func includesRestoreOnlyMatchingEntriesAndTheirFolders() throws {
        let dir = TemporaryDirectory()
        try dir.write("src/docs/a.md", "a")
        try dir.write("src/docs/deep/b.md", "b")
        try dir.write("src/other/c.txt", "c")
        try dir.write("src/x/y/z.md", "z")
        let store = MemoryBlobStore()
        let result = try VolumeArchiver(store: store, options: F.options()).archive(path: dir.sub("src"), parentTree: nil)
        let restored = try VolumeRestorer(store: store, tree: result.tree,
                                          options: VolumeRestoreOptions(target: dir.sub("dst"), includes: ["docs", "z.md"])).run()
        #expect(restored.errors.isEmpty)
        #expect(restored.files == 3)
        let (_, listing) = try F.run("/usr/bin/find", [dir.sub("dst"), "-mindepth", "1", "-printf", "%P\n"])
        #expect(Set(listing.split(separator: "\n").map(String.init)) == ["docs", "docs/a.md", "docs/deep", "docs/deep/b.md", "x", "x/y", "x/y/z.md"])
    }
}
