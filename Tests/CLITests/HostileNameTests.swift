import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// A tree whose node is named `../x` (a hostile repository, or a snapshot made
/// while readdir() returned such a name) is refused where it is decoded:
/// restore writes nothing beside its target, ls fails, and verify names the
/// snapshot as damaged.
@Suite struct HostileNameTests {
    @Test(arguments: ["../escaped", "a/../../escaped", "..", ".", ""])
    func aNodeNameThatIsNotOnePathComponentIsRefused(_ name: String) throws {
        let cli = try CLIRepository("stackbackup-hostile")
        let snapshot: ObjectID
        do {
            let repository = try cli.open()
            let content = try repository.saveBlob(.data, bytes: Array("written outside the target\n".utf8)).id
            var file = Node(name: Array(name.utf8), type: .file)
            file.mode = 0o644
            file.size = 27
            file.content = [content]
            var fine = Node(name: Array("fine.txt".utf8), type: .file)
            fine.mode = 0o644
            fine.size = 27
            fine.content = [content]
            let root = try repository.saveTree(Tree(nodes: [file, fine].sorted { $0.name.lexicographicallyPrecedes($1.name) })).id
            snapshot = try repository.saveSnapshot(Snapshot(time: Date(), host: "nas", kind: .volume, source: "hostile", root: root))
        }
        let place = TemporaryDirectory()
        let target = place.path + "/inner/target"
        try FileManager.default.createDirectory(atPath: place.path + "/inner", withIntermediateDirectories: true)

        let restore = try cli.run(["restore", snapshot.hex, "--target", target])
        #expect(restore.status != 0, "\(restore)")
        #expect(restore.stderr.contains("is not a file name") || restore.stderr.contains("contains '/'") || restore.stderr.contains("is empty"),
                "\(restore)")
        // Nothing beside the target, nothing above it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: place.path).sorted() == ["inner"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: place.path + "/inner").allSatisfy { $0 == "target" })

        let ls = try cli.run(["ls", snapshot.hex])
        #expect(ls.status != 0, "\(ls)")

        let verify = try cli.run(["verify"])
        #expect(verify.status == 13, "\(verify)")
        #expect(verify.stdout.contains(snapshot.short) || verify.stderr.contains(snapshot.short), "\(verify)")
    }
}
