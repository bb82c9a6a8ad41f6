import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// `config check` and the config's defaults through the real binary (issue 14
/// items 10 and 11); the PostgreSQL checks are in IntegrationTests' `ConfigCheckServerTests`.
@Suite struct ConfigCheckTests {
    /// The findings of `config check --json`.
    func findings(_ result: CLIRunner.Result) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result)")
    }

    @Test func reportsEveryMistakeOfTheFileWithItsLineAndGoesOnToTheMachine() throws {
        let fixture = try CLIRepository("stackbackup-configcheck")
        let wrong = try fixture.directory.write("wrong.pass", "not the passphrase\n")
        _ = chmod(wrong, 0o600)
        let config = try fixture.directory.write("config.yml", """
        repository: \(fixture.repo)
        password_file: \(wrong)
        volumse: {}
        prune_every: soon
        volumes:
          photos:
            path: \(fixture.directory.sub("no-such-folder"))
            one_file_system: maybe
          docs:
            exclude: ["*.tmp"]
        """)
        let text = try fixture.runner.run(["config", "check", "--config", config])
        #expect(text.status == 1 && text.endedCleanly, "\(text)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        for expected in ["\(config):3: error: unknown key 'volumse' under the top level (did you mean 'volumes'?)",
                         "\(config):4: error: 'prune_every' must be a duration",
                         "\(config):8: error: 'one_file_system' must be true or false, not 'maybe'",
                         "\(config):9: error: volume 'docs' has no 'path:'",
                         "\(config):7: error: volume 'photos': folder \(fixture.directory.sub("no-such-folder")) does not exist",
                         "\(config):1: error: the repository does not open: "] {
            #expect(lines.contains { $0.hasPrefix(expected) }, "missing \(expected) in \(text)")
        }
        #expect(text.stdout.contains("wrong passphrase") || text.stdout.contains("passphrase"), "\(text)")
        #expect(text.stdout.contains("no database is configured"), "\(text)")

        let json = try fixture.runner.run(["config", "check", "--config", config, "--json"])
        #expect(json.status == 1, "\(json)")
        let list = try findings(json)
        #expect(list.filter { $0["severity"] as? String == "error" }.count == 6, "\(json)")
        #expect(list.allSatisfy { $0["file"] as? String == config && $0["message"] is String })
        #expect(Set(list.compactMap { $0["line"] as? Int }).isSuperset(of: [1, 3, 4, 7, 8, 9]), "\(json)")

        // Every other command refuses the file and lists every mistake too.
        let snapshots = try fixture.runner.run(["snapshots", "--config", config])
        #expect(snapshots.status != 0 && snapshots.stderr.contains(":3:") && snapshots.stderr.contains(":9:"), "\(snapshots)")
    }

    @Test func warningsAloneExitZeroAndAPassphraseFileOthersCanReadIsOne() throws {
        let fixture = try CLIRepository("stackbackup-configcheck")
        _ = chmod(fixture.passwordFile, 0o644)
        try FileManager.default.createDirectory(atPath: fixture.directory.sub("data"), withIntermediateDirectories: true)
        let config = try fixture.directory.write("config.yml", """
        repository: \(fixture.repo)
        password_file: \(fixture.passwordFile)
        volumes:
          data: \(fixture.directory.sub("data"))
        """)
        let loose = try fixture.runner.run(["config", "check", "--config", config])
        #expect(loose.status == 0, "\(loose)")
        #expect(loose.stdout.contains("\(config):2: warning: the passphrase file \(fixture.passwordFile) is readable by group or others (mode 644); restrict it with `chmod 600 \(fixture.passwordFile)`"), "\(loose)")
        #expect(!loose.stdout.contains("error"), "the repository opens: \(loose)")

        // The hint works as printed, and then only the missing database section is left to say.
        _ = chmod(fixture.passwordFile, 0o600)
        let tight = try findings(try fixture.runner.run(["config", "check", "--config", config, "--json"]))
        #expect(tight.count == 1 && (tight.first?["message"] as? String)?.contains("no database is configured") == true, "\(tight)")
    }

    @Test func aConfigWithVolumesAndNoPostgresSectionBacksUpNoDatabase() throws {
        let fixture = try CLIRepository("stackbackup-nopostgres")
        try FileTree.writeRandom(fixture.directory.sub("src/a.bin"), count: 64 << 10, seed: 5)
        let config = try fixture.directory.write("config.yml", """
        repository: \(fixture.repo)
        password_file: \(fixture.passwordFile)
        status_file: \(fixture.directory.sub("status.json"))
        volumes:
          src: \(fixture.directory.sub("src"))
        """)
        // Nothing listens here: a database attempt would fail the run.
        let runner = CLIRunner(environment: ["PGHOST": "127.0.0.1", "PGPORT": "9"])
        let run = try runner.run(["run", "--config", config])
        #expect(run.status == 0, "\(run)")
        #expect(!(run.stdout + run.stderr).contains("immich") && !(run.stdout + run.stderr).contains("PostgreSQL connection failed"), "\(run)")
        let listed = try JSONSerialization.jsonObject(with: Data(try runner.run(["snapshots", "--json", "--config", config]).stdout.utf8)) as? [[String: Any]]
        #expect(listed?.map { $0["source"] as? String } == ["src"], "\(String(describing: listed))")

        let dump = try runner.run(["backup", "db", "--config", config])
        #expect(dump.status == 64 && dump.stderr.contains("no database to back up") && dump.stderr.contains("`postgres:`"), "\(dump)")
        let check = try runner.run(["config", "check", "--config", config])
        #expect(check.stdout.contains("no database is configured (the config has no `postgres:` section)"), "\(check)")
    }
}
