import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// A folder chain 5,000 levels deep (paths of 10,000 bytes), and one of 400
/// levels of 250-byte names (100,000 bytes, 25 × PATH_MAX), round-trip whole
/// through the binary; ls, diff, verify and copy walk them without trouble.
@Suite struct DeepTreeTests {
    @Test(arguments: [(5_000, 1), (400, 250)])
    func aDeepFolderChainIsBackedUpAndRestoredWhole(depth: Int, nameLength: Int) throws {
        let name = Array(repeating: UInt8(ascii: "d"), count: nameLength)
        let chain = DeepChain(depth: depth, name: name, fileEvery: max(1, depth / 10))
        let cli = try CLIRepository("stackbackup-deep")
        let source = cli.directory.sub("source"), target = cli.directory.sub("target")
        defer {
            try? DeepChain.remove(below: source, name: name)
            try? DeepChain.remove(below: target, name: name)
        }
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: false)
        try chain.create(in: source)

        let backup = try cli.succeed(["backup", "path", source, "--name", "deep", "--json"])
        let summary = try BackupSummary(json: backup.stdout)
        #expect(summary["directories"] == Double(depth + 1), "\(backup)")
        #expect(!backup.stderr.contains("warning"), "\(backup)")

        let restore = try cli.run(["restore", "deep", "--target", target])
        #expect(restore.status == 0, "\(restore)")
        #expect(try DeepChain.levels(target) == depth)
        #expect(try DeepChain.difference(source, target) == nil)

        let ls = try cli.run(["ls", "deep:latest"])
        #expect(ls.status == 0 && ls.endedCleanly, "\(ls.status) \(ls.stderr)")
        #expect(ls.stdout.split(separator: "\n").count >= depth)

        // A second snapshot differing at the bottom: diff walks the whole chain to find it.
        try chain.rewriteBottomFile(in: source, "changed at the bottom\n")
        let second = try #require(try cli.backup(source, name: "deep").snapshot)
        let first = try #require(summary.snapshot)
        let diff = try cli.run(["diff", first, second])
        #expect(diff.status == 0 && diff.endedCleanly, "\(diff.status) \(diff.stderr)")
        #expect(diff.stdout.split(separator: "\n").filter { $0.hasPrefix("M") && $0.hasSuffix("/f") }.count == 1, "\(diff.stdout.suffix(300))")

        let verify = try cli.run(["verify"])
        #expect(verify.status == 0, "\(verify)")

        let offsite = try CLIRepository("stackbackup-deep-copy")
        let copy = try cli.run(["copy", "--to", offsite.repo, "--to-password-file", offsite.passwordFile])
        #expect(copy.status == 0 && copy.endedCleanly, "\(copy)")
        #expect(try offsite.run(["ls", "deep:latest"]).status == 0)
    }
}
