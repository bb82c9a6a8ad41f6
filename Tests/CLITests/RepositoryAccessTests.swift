import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Opening a repository: refusals, passphrases, missing repositories and locks,
/// each with its documented exit code and nothing written on failure.
@Suite("CLI repository access")
struct RepositoryAccessTests {
    @Test func initRefusesANonEmptyFolderAndLeavesItUntouched() throws {
        let fixture = try CLIRepository(initialize: false)
        try fixture.directory.write("repo/precious.txt", "keep me")
        let before = try fixture.listing()
        let result = try fixture.run(["init", "--scrypt-log-n", "10"])
        #expect(result.status != 0, "\(result)")
        #expect(result.endedCleanly, "\(result)")
        #expect(result.stderr.contains("not empty"), "\(result)")
        #expect(try fixture.listing() == before)
        #expect(try String(contentsOfFile: fixture.repo + "/precious.txt", encoding: .utf8) == "keep me")
    }

    @Test func initCreatesTheRepositoryLayout() throws {
        let fixture = try CLIRepository()
        let top = try FileManager.default.contentsOfDirectory(atPath: fixture.repo).sorted()
        #expect(top.contains("config") && top.contains("keys"), "\(top)")
        #expect(try fixture.files(in: "keys").count == 1)
        // A second init on the now non-empty folder is refused.
        #expect(try fixture.run(["init", "--scrypt-log-n", "10"]).status == 1)
    }

    @Test func aWrongPassphraseExits12WithOneLineAndWritesNothing() throws {
        let fixture = try CLIRepository()
        let source = try fixture.directory.write("src/file.txt", "hello")
        try fixture.backup((source as NSString).deletingLastPathComponent, name: "src")
        let wrong = try fixture.directory.write("wrong", "not the passphrase\n")
        let before = try fixture.listing()
        for command in [["snapshots"], ["backup", "path", fixture.directory.sub("src"), "--name", "src"], ["verify"],
                        ["restore", "src:latest", "--target", fixture.directory.sub("out")], ["key", "list"], ["unlock"]] {
            let result = try fixture.run(command, passwordFile: wrong)
            #expect(result.status == 12, "\(command): \(result)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("wrong passphrase"), "\(command): \(result)")
            #expect(result.stdout.isEmpty, "\(command): \(result)")
        }
        #expect(try fixture.listing() == before, "a wrong passphrase changed the repository")
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.sub("out")))
    }

    @Test func aMissingRepositoryExits10AndSaysHowToCreateOne() throws {
        let fixture = try CLIRepository(initialize: false)
        for command in [["snapshots"], ["verify"], ["key", "list"], ["ls", "x:latest"]] {
            let result = try fixture.run(command)
            #expect(result.status == 10, "\(command): \(result)")
            #expect(result.stderr.contains("stackbackup init"), "\(command): \(result)")
        }
        // The key-less check too: a mistyped path in CI must not pass as "no damage".
        let filesOnly = try CLIRunner().run(["verify", "--files-only", "--repo", fixture.repo])
        #expect(filesOnly.status == 10 && filesOnly.stderr.contains("no repository at"), "\(filesOnly)")
        #expect(!FileManager.default.fileExists(atPath: fixture.repo), "a failed command created the repository folder")
    }

    @Test func noPassphraseWithoutATerminalIsAClearErrorNotAHang() throws {
        let fixture = try CLIRepository()
        // setsid detaches from any controlling terminal, so /dev/tty cannot be opened.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["--wait", CLIRunner.binaryPath, "snapshots", "--repo", fixture.repo]
        process.environment = fixture.runner.environment
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0 && process.terminationStatus < 128, "exit \(process.terminationStatus): \(message)")
        #expect(message.contains("no repository passphrase") && message.contains("--password-file"), "\(message)")
    }

    @Test func thePassphraseMayComeFromTheEnvironment() throws {
        let fixture = try CLIRepository()
        let viaFile = CLIRunner(environment: ["STACKBACKUP_PASSWORD_FILE": fixture.passwordFile, "STACKBACKUP_REPOSITORY": fixture.repo])
        #expect(try viaFile.run(["snapshots"]).status == 0)
        let viaValue = CLIRunner(environment: ["STACKBACKUP_PASSWORD": fixture.passphrase, "STACKBACKUP_REPOSITORY": fixture.repo])
        #expect(try viaValue.run(["snapshots"]).status == 0)
    }

    @Test func withLockWaitABackupWaitsForAnExclusiveLockToGoThenSucceeds() throws {
        let fixture = try CLIRepository()
        try fixture.directory.write("src/a.txt", "a")
        let lock = try fixture.open().lock(exclusive: true, command: "cli-test-prune")
        let started = Date()
        let releaser = Thread { Thread.sleep(forTimeInterval: 1.5); try? lock.release() }
        releaser.start()
        let result = try fixture.run(["backup", "path", fixture.directory.sub("src"), "--name", "src", "--lock-wait", "30"])
        #expect(result.status == 0, "\(result)")
        #expect(Date().timeIntervalSince(started) >= 1.4, "the backup did not wait for the lock")
        // A wait shorter than the holder's work still ends in exit 11, naming it.
        let held = try fixture.open().lock(exclusive: true, command: "cli-test-prune")
        defer { try? held.release() }
        let short = try fixture.run(["backup", "path", fixture.directory.sub("src"), "--name", "src", "--lock-wait", "0.5"])
        #expect(short.status == 11 && short.stderr.contains("cli-test-prune"), "\(short)")
    }

    @Test func commandsExit11NamingTheHolderOfAnExclusiveLock() throws {
        let fixture = try CLIRepository()
        try fixture.directory.write("src/a.txt", "a")
        try fixture.backup(fixture.directory.sub("src"), name: "src")
        let repository = try fixture.open()
        let lock = try repository.lock(exclusive: true, command: "cli-test-holder")
        let newPassphrase = try fixture.directory.write("new-passphrase", "another one\n")
        for command in [["backup", "path", fixture.directory.sub("src"), "--name", "src"],
                        ["restore", "src:latest", "--target", fixture.directory.sub("out")],
                        ["verify"], ["verify", "--read-data"],
                        ["key", "add", "--new-password-file", newPassphrase]] {
            let result = try fixture.run(command)
            #expect(result.status == 11, "\(command): \(result)")
            #expect(result.stderr.contains("cli-test-holder") && result.stderr.contains("pid \(getpid())"), "\(command): \(result)")
        }
        #expect(try fixture.run(["snapshots"]).status == 0, "listing needs no lock")
        // A live holder on this host is not stale: `unlock` leaves it.
        #expect(try fixture.run(["unlock"]).status == 0)
        #expect(try fixture.files(in: "locks").count == 1)
        try lock.release()
        #expect(try fixture.run(["verify"]).status == 0)
        #expect(try fixture.files(in: "keys").count == 1, "key add ran despite the lock")
    }
}
