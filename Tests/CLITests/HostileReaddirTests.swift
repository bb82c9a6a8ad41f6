import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// A file system whose readdir() returns `../escaped` and `a/../../x` (played
/// by Tests/Shims/hostile_readdir.c under LD_PRELOAD): the backup records
/// neither name and says it skipped them, naming the folder, and a restore of
/// that snapshot writes nothing outside its target.
@Suite struct HostileReaddirTests {
    @Test func namesThatAreNotOnePathComponentAreSkippedByTheBackup() throws {
        let shim = try Shim("hostile_readdir")
        let cli = try CLIRepository("stackbackup-readdir")
        let source = cli.directory.sub("source")
        try FileTree.mkdir(Array(source.utf8))
        try FileTree.mkdir(FileTree.join(source, Array("inner".utf8)))
        try FileTree.write(FileTree.join(source, Array("inner/real.txt".utf8)), Array("real\n".utf8))
        // What the hostile names reach when joined to inner's path: source/escaped, and source/x through inner/a.
        try FileTree.mkdir(FileTree.join(source, Array("inner/a".utf8)))
        try FileTree.write(FileTree.join(source, Array("escaped".utf8)), Array("reached through ..\n".utf8))
        try FileTree.write(FileTree.join(source, Array("x".utf8)), Array("reached through a/../..\n".utf8))
        let chosen = try #require(realpath(source + "/inner", nil).map { p in defer { free(p) }; return String(cString: p) })

        let runner = shim.runner(cli, ["STACKBACKUP_SHIM_READDIR_DIR": chosen])
        let backup = try cli.run(["backup", "path", source, "--name", "hostile", "--json"], with: runner)
        // The shim did answer: the backup saw both names, left them out and says so (partial, exit 3).
        #expect(backup.status == 3, "\(backup)")
        let skipped = try JSONSerialization.jsonObject(with: Data(backup.stdout.utf8)) as? [String: Any]
        let entries = (skipped?["skipped"] as? [[String: Any]] ?? []).map { "\($0["path"] ?? "") \($0["reason"] ?? "")" }
        #expect(entries.contains("inner/../escaped invalid_name") && entries.contains("inner/a/../../x invalid_name"), "\(backup)")
        let snapshot = try #require(try BackupSummary(json: backup.stdout).snapshot)

        let ls = try cli.succeed(["ls", snapshot])
        #expect(ls.stdout.split(separator: "\n").map(String.init).sorted() == ["escaped", "inner", "inner/a", "inner/real.txt", "x"], "\(ls)")

        let place = cli.directory.sub("place")
        try FileTree.mkdir(Array(place.utf8))
        let target = place + "/target"
        let before = try FileTree.capture(cli.directory.path)
        let restore = try cli.run(["restore", snapshot, "--target", target])
        #expect(restore.status == 0, "\(restore)")
        #expect(try FileTree.capture(target) == FileTree.capture(source))
        // Nothing changed outside the target: the files beside the source are as they were, the place holds only it.
        let outside: ([FileTree.Entry]) -> [FileTree.Entry] = { entries in
            entries.filter { !$0.path.starts(with: Array("repo".utf8)) && !$0.path.starts(with: Array("place".utf8)) }
        }
        #expect(try outside(FileTree.capture(cli.directory.path)) == outside(before))
        #expect(try FileManager.default.contentsOfDirectory(atPath: place) == ["target"])
    }
}
