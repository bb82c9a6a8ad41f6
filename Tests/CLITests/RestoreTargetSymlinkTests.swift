import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// A restore never follows a symlink that is in its target: planted ones are
/// replaced under `--overwrite`, and one swapped in for a folder while the
/// restore runs (Tests/Shims/swap_after_mkdir.c) makes that folder's entries
/// fail instead of landing outside the target.
@Suite struct RestoreTargetSymlinkTests {
    /// A source with a folder `docs` and a file `notes.txt`, its snapshot, and
    /// an outside folder and file that the restore must leave alone.
    struct Setup {
        let cli: CLIRepository
        let source: String
        let outside: String
        let snapshot: String

        init() throws {
            cli = try CLIRepository("stackbackup-plant")
            source = cli.directory.sub("source")
            outside = cli.directory.sub("outside")
            try FileTree.mkdir(Array(source.utf8))
            try FileTree.mkdir(FileTree.join(source, Array("docs".utf8)), mode: 0o750)
            try FileTree.write(FileTree.join(source, Array("docs/a.txt".utf8)), Array("restored a\n".utf8))
            try FileTree.write(FileTree.join(source, Array("notes.txt".utf8)), Array("restored notes\n".utf8), mode: 0o600)
            try FileTree.setMtime(FileTree.join(source, Array("docs".utf8)), seconds: 1_500_000_000)
            try FileTree.mkdir(Array(outside.utf8))
            try FileTree.mkdir(FileTree.join(outside, Array("dir".utf8)), mode: 0o755)
            try FileTree.write(FileTree.join(outside, Array("file".utf8)), Array("outside, keep\n".utf8), mode: 0o644)
            try FileTree.setMtime(FileTree.join(outside, Array("dir".utf8)), seconds: 1_000_000_000)
            snapshot = try #require(try cli.backup(source, name: "plant").snapshot)
        }

    }

    @Test func plantedSymlinksAreReplacedUnderOverwriteAndNothingOutsideChanges() throws {
        let setup = try Setup()
        let target = setup.cli.directory.sub("target")
        try FileTree.mkdir(Array(target.utf8))
        try FileTree.symlink(FileTree.join(target, Array("docs".utf8)), to: Array((setup.outside + "/dir").utf8))
        try FileTree.symlink(FileTree.join(target, Array("notes.txt".utf8)), to: Array((setup.outside + "/file").utf8))
        let before = try FileTree.capture(setup.outside)

        let restore = try setup.cli.run(["restore", setup.snapshot, "--target", target, "--overwrite"])
        #expect(restore.status == 0, "\(restore)")
        #expect(try FileTree.capture(setup.outside) == before)
        #expect(try FileTree.capture(target) == FileTree.capture(setup.source))
    }

    @Test func withoutOverwriteATargetWithEntriesIsStillRefused() throws {
        let setup = try Setup()
        let target = setup.cli.directory.sub("target")
        try FileTree.mkdir(Array(target.utf8))
        try FileTree.symlink(FileTree.join(target, Array("docs".utf8)), to: Array((setup.outside + "/dir").utf8))
        let before = try FileTree.capture(setup.outside)

        let restore = try setup.cli.run(["restore", setup.snapshot, "--target", target])
        #expect(restore.status != 0, "\(restore)")
        #expect(restore.stderr.contains("is not empty"), "\(restore)")
        #expect(try FileTree.capture(setup.outside) == before)
        #expect(try FileTree.capture(target).map(\.path) == [Array("docs".utf8)])
    }

    @Test func aFolderSwappedForASymlinkDuringTheRestoreIsNotWrittenThrough() throws {
        let setup = try Setup()
        let shim = try Shim("swap_after_mkdir")
        let target = setup.cli.directory.sub("target")
        let before = try FileTree.capture(setup.outside)

        let runner = shim.runner(setup.cli, ["STACKBACKUP_SHIM_SWAP_NAME": "docs", "STACKBACKUP_SHIM_SWAP_TO": setup.outside + "/dir"])
        let restore = try setup.cli.run(["restore", setup.snapshot, "--target", target], with: runner)
        // The shim did swap the folder: docs is now the attacker's symlink.
        var st = stat()
        #expect(lstat(target + "/docs", &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK, "\(restore)")
        // docs/a.txt could not be written, and says so; nothing went through the link.
        #expect(restore.status == 3, "\(restore)")
        #expect(restore.stderr.contains("docs/a.txt"), "\(restore)")
        #expect(try FileTree.capture(setup.outside) == before, "\(restore)")
        // The rest of the snapshot is there.
        let notes = try FileTree.capture(target).first { $0.path == Array("notes.txt".utf8) }
        #expect(notes?.size == 15 && notes?.mode == 0o600)
    }
}
