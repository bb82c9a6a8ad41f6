import Foundation
import StackBackupTestSupport
import Testing

@Suite("CLI forget lock")
struct ForgetLockTests {
    /// forget takes its exclusive lock before it lists snapshots, so a plan is
    /// never made from a list another locker may be changing: while someone
    /// else holds the repository exclusively it fails at once, having planned
    /// (and printed) nothing.
    @Test func forgetLocksBeforeItListsSnapshots() throws {
        let fixture = try CLIRepository()
        let source = fixture.directory.sub("src")
        try fixture.directory.write("src/a.txt", "a")
        try fixture.backup(source, name: "src")
        try fixture.directory.write("src/b.txt", "b")
        try fixture.backup(source, name: "src")
        let lock = try fixture.open().lock(exclusive: true, command: "cli-test-prune")
        defer { try? lock.release() }

        let result = try fixture.run(["forget", "--keep-last", "1", "--json"])
        #expect(result.status == 11 && result.stderr.contains("cli-test-prune"), "\(result)")
        #expect(result.stdout.isEmpty, "forget listed and planned before it had the lock: \(result.stdout)")
        #expect(try fixture.files(in: "snapshots").count == 2)
    }
}
