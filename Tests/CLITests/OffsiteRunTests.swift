import Foundation
import StackBackupTestSupport
import Testing

/// `stackbackup run` with an `offsite:` section copies each night's snapshots to
/// the second repository and forgets there by the offsite policy.
@Suite struct OffsiteRunTests {
    struct Setup {
        let local: CLIRepository
        let offsite: String
        let offsitePass: String
        let source: String
        let config: String
        var statusFile: String { local.directory.sub("state/status.json") }
    }

    func setup(wrongOffsitePassphrase: Bool = false) throws -> Setup {
        let local = try CLIRepository("stackbackup-offsite")
        let offsite = local.directory.sub("offsite")
        let offsitePass = try local.directory.write("offsite.pass", "a different offsite passphrase\n")
        let created = try local.runner.run(["init", "--repo", offsite, "--password-file", offsitePass, "--scrypt-log-n", "10"])
        #expect(created.status == 0, "\(created)")
        let configured = wrongOffsitePassphrase ? try local.directory.write("wrong.pass", "not the offsite passphrase\n") : offsitePass
        let source = local.directory.sub("src")
        try FileTree.writeRandom(source + "/photos/a.jpg", count: 3 << 20, seed: 31)
        try FileTree.writeRandom(source + "/notes.txt", count: 20 << 10, seed: 32)
        let config = try local.nightlyConfig(source: source, extra: """
        offsite:
          repository: \(offsite)
          password_file: \(configured)
          retention: {keep_last: 1}
        """)
        return Setup(local: local, offsite: offsite, offsitePass: offsitePass, source: source, config: config)
    }

    func offsiteSnapshots(_ s: Setup) throws -> [[String: Any]] {
        let listed = try s.local.runner.run(["snapshots", "--json", "--repo", s.offsite, "--password-file", s.offsitePass])
        #expect(listed.status == 0, "\(listed)")
        return try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
    }

    func offsiteStep(_ s: Setup) throws -> [String: Any]? {
        let status = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.statusFile))) as? [String: Any]
        return (status?["steps"] as? [String: Any])?["offsite"] as? [String: Any]
    }

    @Test func eachNightIsCopiedOffsiteAndTheOffsitePolicyKeepsTheNewest() throws {
        let s = try setup()
        let first = try s.local.runner.run(["run", "--config", s.config])
        #expect(first.status == 0, "\(first)")
        #expect(try offsiteSnapshots(s).count == 1)
        #expect(try offsiteStep(s)?["ok"] as? Bool == true)

        try FileTree.writeRandom(s.source + "/photos/b.jpg", count: 1 << 20, seed: 33)
        let second = try s.local.runner.run(["run", "--config", s.config])
        #expect(second.status == 0, "\(second)")
        let copies = try offsiteSnapshots(s)
        #expect(copies.count == 1, "keep_last 1 offsite: \(copies)")
        let detail = try offsiteStep(s)?["detail"] as? String ?? ""
        #expect(detail.contains("copied 1 snapshot(s)") && detail.contains("forgot 1 offsite snapshot(s)"), "\(detail)")

        // The offsite copy is the newest night, whole, under its own passphrase.
        let restored = s.local.directory.sub("restored")
        let restore = try s.local.runner.run(["restore", "src:latest", "--target", restored, "--repo", s.offsite, "--password-file", s.offsitePass])
        #expect(restore.status == 0, "\(restore)")
        #expect(try FileTree.capture(restored) == FileTree.capture(s.source))
    }

    @Test func anOffsiteThatCannotBeOpenedIsAPartialRunAndTheLocalSnapshotStands() throws {
        let s = try setup(wrongOffsitePassphrase: true)
        let run = try s.local.runner.run(["run", "--config", s.config])
        #expect(run.status == 3, "\(run)")
        #expect(run.stderr.contains("offsite"), "\(run)")
        #expect(try offsiteStep(s)?["ok"] as? Bool == false)
        #expect(try offsiteSnapshots(s).isEmpty)
        let local = try s.local.succeed(["snapshots", "--json"])
        #expect(((try JSONSerialization.jsonObject(with: Data(local.stdout.utf8)) as? [Any]) ?? []).count == 1)
    }
}
