import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// The restore target itself gets the snapshot root's mode and mtime (and
/// owner, as root): the restored tree is the snapshot's, root included.
@Suite struct RestoreRootFolderTests {
    @Test(arguments: [false, true])
    func theTargetFolderGetsTheSnapshotRootsModeAndMtime(targetExists: Bool) throws {
        let cli = try CLIRepository("stackbackup-rootmeta")
        let source = cli.directory.sub("source")
        try FileTree.mkdir(Array(source.utf8))
        try FileTree.write(FileTree.join(source, Array("a.txt".utf8)), Array("a\n".utf8))
        try FileTree.chmod(Array(source.utf8), 0o751)
        try FileTree.setMtime(Array(source.utf8), seconds: 946_684_800, nanoseconds: 123_456_789)  // 2000-01-01
        let snapshot = try #require(try cli.backup(source, name: "root").snapshot)

        let target = cli.directory.sub("target")
        if targetExists { try FileTree.mkdir(Array(target.utf8), mode: 0o700) }
        let restore = try cli.run(["restore", snapshot, "--target", target])
        #expect(restore.status == 0, "\(restore)")
        var st = stat()
        #expect(stat(target, &st) == 0)
        #expect(st.st_mode & 0o7777 == 0o751)
        #expect(st.st_mtim.tv_sec == 946_684_800 && st.st_mtim.tv_nsec == 123_456_789)
        #expect(try FileTree.capture(target) == FileTree.capture(source))
    }

    /// Trees written before the root's metadata was recorded still restore, leaving the target's own.
    @Test func aSnapshotWithoutRootMetadataLeavesTheTargetAsItWas() throws {
        let cli = try CLIRepository("stackbackup-rootmeta-old")
        let snapshot: ObjectID
        do {
            let repository = try cli.open()
            let content = try repository.saveBlob(.data, bytes: Array("old\n".utf8)).id
            var file = Node(name: Array("old.txt".utf8), type: .file, mode: 0o644, mtimeNs: 1_000_000_000_000_000_000, size: 4)
            file.content = [content]
            let root = try repository.saveTree(Tree(nodes: [file])).id
            snapshot = try repository.saveSnapshot(Snapshot(time: Date(), host: "nas", kind: .volume, source: "old", root: root))
        }
        let target = cli.directory.sub("target")
        try FileTree.mkdir(Array(target.utf8), mode: 0o705)
        let restore = try cli.run(["restore", snapshot.hex, "--target", target])
        #expect(restore.status == 0, "\(restore)")
        var st = stat()
        #expect(stat(target, &st) == 0 && st.st_mode & 0o7777 == 0o705)
    }
}
