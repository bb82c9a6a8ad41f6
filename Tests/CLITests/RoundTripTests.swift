import Foundation
import StackBackupTestSupport
import Testing

/// Backup and restore through the real binary: a tree full of awkward cases
/// comes back identical, and reruns read and add only what changed.
@Suite("CLI round trip", .serialized)
struct RoundTripTests {
    /// 64 MiB rather than the 300 MB of the issue: the debug build chunks
    /// ≈ 8 MB/s, so 300 MB alone would take ≈ 40 s on a busy machine.
    static let bigFileSize = 64 << 20

    static let nonUTF8: [UInt8] = [0x66, 0xFF, 0xFE, 0x2E, 0x62, 0x69, 0x6E]  // "f\xff\xfe.bin"

    /// Builds the tricky tree under `root` and returns it.
    static func makeTrickyTree(_ root: String) throws {
        func p(_ name: String) -> [UInt8] { FileTree.join(root, Array(name.utf8)) }
        try FileTree.mkdir(Array(root.utf8))
        try FileTree.write(p("empty"), [])
        try FileTree.mkdir(p("empty folder"))
        try FileTree.write(p("name with  spaces .txt"), Array("spaces\n".utf8))
        try FileTree.write(p("new\nline"), Array("newline in the name\n".utf8))
        try FileTree.write(FileTree.join(root, nonUTF8), Array("not UTF-8\n".utf8))
        try FileTree.mkdir(FileTree.join(root, [0x64, 0xE9, 0x6A, 0xE0]))  // "déjà" in Latin-1
        try FileTree.write(FileTree.join(root, [0x64, 0xE9, 0x6A, 0xE0, 0x2F, 0x78]), Array("inside a Latin-1 folder\n".utf8))
        try FileTree.mkdir(p("a"))
        try FileTree.mkdir(p("a/b"))
        try FileTree.mkdir(p("a/b/c"))
        try FileTree.write(p("a/b/c/deep.txt"), Array(String(repeating: "compressible text ", count: 10_000).utf8))
        try FileTree.symlink(p("link to spaces"), to: Array("name with  spaces .txt".utf8))
        try FileTree.symlink(p("dangling"), to: Array("no/such/target".utf8))
        try FileTree.symlink(p("a/absolute"), to: Array("/etc/hostname".utf8))
        try FileTree.symlink(p("a/folder link"), to: Array("b/c".utf8))
        try FileTree.write(p("hard 1"), Array("two names, one inode\n".utf8))
        try FileTree.link(p("a/hard 2"), to: p("hard 1"))
        try FileTree.write(p("private"), Array("0600\n".utf8), mode: 0o600)
        try FileTree.write(p("tool.sh"), Array("#!/bin/sh\necho hi\n".utf8), mode: 0o755)
        try FileTree.write(p("read-only"), Array("0444\n".utf8), mode: 0o444)
        try FileTree.mkdir(p("locked folder"), mode: 0o700)
        try FileTree.write(p("locked folder/secret"), Array("s\n".utf8), mode: 0o640)
        try FileTree.writeRandom(root + "/big.bin", count: bigFileSize, seed: 42)
        // Distinct mtimes with nanoseconds; folders last, deepest first, since writing into them changes theirs.
        var second = 1_600_000_000
        for entry in try FileTree.capture(root, contents: false).reversed() {
            second += 3_607
            try FileTree.setMtime(FileTree.join(root, entry.path), seconds: second, nanoseconds: 123_456_789)
        }
    }

    @Test func aTrickyTreeRestoresIdenticalByDiffAndStat() throws {
        let fixture = try CLIRepository()
        let source = fixture.directory.sub("tricky")
        try Self.makeTrickyTree(source)
        let first = try fixture.backup(source, name: "tricky")
        #expect(first.snapshot != nil)
        #expect(first["files_new"] >= 12)
        #expect(first["bytes_read"] >= Double(Self.bigFileSize))

        let target = fixture.directory.sub("restored")
        let restore = try fixture.run(["restore", "tricky:latest", "--target", target])
        #expect(restore.status == 0, "\(restore)")

        let diff = try Process.run(URL(fileURLWithPath: "/usr/bin/diff"), arguments: ["-r", "--no-dereference", source, target])
        diff.waitUntilExit()
        #expect(diff.terminationStatus == 0, "diff -r found differences")

        let original = try FileTree.capture(source), restored = try FileTree.capture(target)
        #expect(original.count == restored.count)
        for (a, b) in zip(original, restored) where a != b {
            Issue.record("differs:\n  source   \(a)\n  restored \(b)")
        }
    }

    @Test func rerunsReadNothingUnchangedAndAddAboutOneChunkAfterAOneByteChange() throws {
        let fixture = try CLIRepository()
        let source = fixture.directory.sub("src")
        try FileManager.default.createDirectory(atPath: source + "/small", withIntermediateDirectories: true)
        for i in 0..<40 { try fixture.directory.write("src/small/file \(i).txt", "small file \(i)\n") }
        let largeSize = 24 << 20
        try FileTree.writeRandom(source + "/large.bin", count: largeSize, seed: 7)
        let fileCount = 41.0

        let first = try fixture.backup(source, name: "src")
        #expect(first["files_new"] == fileCount)
        #expect(first["bytes_added"] >= Double(largeSize))

        let packsBefore = try fixture.files(in: "data")
        let second = try fixture.backup(source, name: "src")
        #expect(second.parent == first.snapshot)
        #expect(second["bytes_read"] == 0, "an unchanged run read file contents")
        #expect(second["files_unchanged"] == fileCount)
        #expect(second["files_new"] == 0 && second["files_changed"] == 0)
        #expect(second["bytes_added"] < 64 * 1024, "an unchanged run added \(second["bytes_added"]) bytes")
        #expect(try fixture.files(in: "data").count <= packsBefore.count + 1, "an unchanged run wrote data packs")

        try FileTree.flipByte(source + "/large.bin", at: largeSize / 2 + 12_345)
        let third = try fixture.backup(source, name: "src")
        #expect(third["files_changed"] == 1)
        #expect(third["files_unchanged"] == fileCount - 1)
        #expect(third["bytes_read"] == Double(largeSize), "only the changed file is read again")
        #expect(third["bytes_added"] > 0)
        #expect(third["bytes_added"] < Double(10 << 20), "one changed byte added \(third["bytes_added"]) bytes")
        #expect(third["blobs_added"] <= 4, "one changed byte added \(third["blobs_added"]) blobs (1-2 chunks and 2 trees expected)")
    }
}
