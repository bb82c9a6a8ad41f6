import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Issue 14, "Status and monitoring must tell the truth", through the real
/// binary: a stale status is unhealthy, removed sources leave status and
/// metrics, a SIGTERM during `run` is recorded, pinged and leaves no lock.
@Suite("CLI status truth")
struct StatusTruthTests {
    /// A config with two volumes: `media` with the nightly default, `archive` with `max_age: 40d`.
    private func twoVolumes(_ cli: CLIRepository, archive: Bool = true, extra: String = "") throws -> String {
        for name in ["media", "archive"] { _ = try cli.directory.write("\(name)/a.txt", "\(name)\n") }
        return try cli.directory.write("config.yml", """
        repository: \(cli.repo)
        password_file: \(cli.passwordFile)
        status_file: \(cli.directory.sub("state/status.json"))
        metrics_file: \(cli.directory.sub("state/metrics.prom"))
        postgres:
          databases: []
        volumes:
          media:
            path: \(cli.directory.sub("media"))
        """ + (archive ? """

          archive:
            path: \(cli.directory.sub("archive"))
            max_age: 40d
        """ : "") + "\n" + extra)
    }

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    /// Moves every time recorded in the status file `days` into the past: the
    /// honest stand-in for a clock `days` on (the binary reads the real clock).
    private func age(statusFile: String, byDays days: Double) throws {
        let formatter = ISO8601DateFormatter()
        func shift(_ value: Any) -> Any {
            if let text = value as? String, let date = formatter.date(from: text) {
                return formatter.string(from: date.addingTimeInterval(-days * 86_400))
            }
            if let object = value as? [String: Any] { return object.mapValues(shift) }
            if let list = value as? [Any] { return list.map(shift) }
            return value
        }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: statusFile)))
        try JSONSerialization.data(withJSONObject: shift(object), options: [.sortedKeys]).write(to: URL(fileURLWithPath: statusFile))
    }

    /// Keys that are not snake_case, by path; the names under `sources` and `steps` are data (source and step names).
    static func keysNotSnakeCase(_ value: Any, path: String = "") -> [String] {
        if let list = value as? [Any] { return list.flatMap { keysNotSnakeCase($0, path: path + "[]") } }
        guard let object = value as? [String: Any] else { return [] }
        return object.flatMap { key, child -> [String] in
            let isName = path == "sources" || path == "steps"
            let bad = !isName && !key.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }
            return (bad ? [path + "." + key] : []) + keysNotSnakeCase(child, path: isName ? path + ".NAME" : (path.isEmpty ? key : path + "." + key))
        }
    }

    @Test func aStatusThirtySixDaysOldIsStaleUnhealthyAndExitsThree() throws {
        let cli = try CLIRepository("cli-stale")
        let config = try twoVolumes(cli)
        #expect(try cli.runner.run(["run", "--config", config]).status == 0)
        let fresh = try cli.runner.run(["status", "--config", config])
        #expect(fresh.status == 0, "\(fresh)")
        #expect(fresh.stdout.contains("healthy") && !fresh.stdout.contains("STALE"), "\(fresh.stdout)")

        let statusFile = cli.directory.sub("state/status.json")
        try age(statusFile: statusFile, byDays: 36)
        let stale = try cli.runner.run(["status", "--config", config])
        #expect(stale.status == 3, "\(stale)")
        let mediaRow = try #require(stale.stdout.split(separator: "\n").first { $0.hasPrefix("media ") }, "\(stale.stdout)")
        #expect(mediaRow.contains("36 days") && mediaRow.contains("26 hours") && mediaRow.contains("STALE"), "\(mediaRow)")
        let archiveRow = try #require(stale.stdout.split(separator: "\n").first { $0.hasPrefix("archive ") }, "\(stale.stdout)")
        #expect(archiveRow.contains("36 days") && archiveRow.contains("40 days") && archiveRow.hasSuffix("ok"), "\(archiveRow)")
        #expect(stale.stdout.contains("NOT HEALTHY"))

        let staleJSON = try cli.runner.run(["status", "--config", config, "--json"])
        #expect(staleJSON.status == 3, "\(staleJSON)")
        let document = try json(staleJSON.stdout)
        #expect(document["healthy"] as? Bool == false)
        let sources = try #require(document["sources"] as? [String: [String: Any]])
        #expect(sources["media"]?["state"] as? String == "stale")
        #expect(sources["media"]?["healthy"] as? Bool == false)
        #expect(sources["media"]?["age"] as? String == "36 days")
        #expect(sources["media"]?["max_age_seconds"] as? Double == 93_600)
        #expect(sources["archive"]?["state"] as? String == "ok")
        #expect(sources["archive"]?["max_age_seconds"] as? Double == Double(40 * 86_400))
        #expect(Self.keysNotSnakeCase(document).isEmpty, "\(Self.keysNotSnakeCase(document))")
        // The file `run` wrote is the same document (judged as of the run's end).
        let file = try json(String(contentsOfFile: statusFile, encoding: .utf8))
        #expect(Set(file.keys).subtracting(["next_run"]) == Set(document.keys).subtracting(["next_run"]))

        // The metrics carry the last success time and the max age, so an alert can fire on age alone.
        let metrics = try String(contentsOfFile: cli.directory.sub("state/metrics.prom"), encoding: .utf8)
        #expect(metrics.contains("stackbackup_last_success_timestamp_seconds{source=\"media\",kind=\"volume\"} "), "\(metrics)")
        #expect(metrics.contains("stackbackup_max_age_seconds{source=\"media\",kind=\"volume\"} 93600"), "\(metrics)")
        #expect(metrics.contains("stackbackup_max_age_seconds{source=\"archive\",kind=\"volume\"} 3456000"), "\(metrics)")
    }

    @Test func aSourceRemovedFromTheConfigLeavesStatusAndMetricsButKeepsItsSnapshots() throws {
        let cli = try CLIRepository("cli-removed")
        let both = try twoVolumes(cli)
        #expect(try cli.runner.run(["run", "--config", both]).status == 0)
        let mediaOnly = try twoVolumes(cli, archive: false)

        // Before the next run: `status` already leaves it out and says so.
        let status = try cli.runner.run(["status", "--config", mediaOnly])
        #expect(status.status == 0, "\(status)")
        #expect(!status.stdout.split(separator: "\n").contains { $0.hasPrefix("archive ") }, "\(status.stdout)")
        #expect(status.stdout.contains("left out, no longer in the config: archive"), "\(status.stdout)")
        let listed = try json(try cli.runner.run(["status", "--config", mediaOnly, "--json"]).stdout)
        #expect((listed["sources"] as? [String: Any]).map { Set($0.keys) } == ["media"])

        // The next run drops it from the status file and the metrics.
        let run = try cli.runner.run(["run", "--config", mediaOnly])
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.contains("dropped archive"), "\(run.stderr)")
        let file = try #require(RunStatus.load(path: cli.directory.sub("state/status.json")))
        #expect(Set(file.sources.keys) == ["media"])
        #expect(file.healthy == true)
        let metrics = try String(contentsOfFile: cli.directory.sub("state/metrics.prom"), encoding: .utf8)
        #expect(!metrics.contains("source=\"archive\""), "\(metrics)")
        // Its history stays: the snapshot is still in the repository.
        let snapshots = try cli.succeed(["snapshots", "--source", "archive", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(snapshots.stdout.utf8)) as? [Any])?.count == 1)
    }

    @Test func sigtermDuringRunIsRecordedPingedAsFailureAndLeavesNoLock() throws {
        let cli = try CLIRepository("cli-run-term", initialize: false)
        // 1 MiB packs: the first ones appear long before the volume is done.
        _ = try Repository.initialize(backend: LocalBackend(path: cli.repo), passphrase: Array(cli.passphrase.utf8),
                                      kdf: .testing, packSize: 1 << 20)
        let listener = try PingListener()
        defer { listener.stop() }
        let config = try twoVolumes(cli, extra: """
        hooks:
          healthcheck_url: http://127.0.0.1:\(listener.port)/check-uuid
        """)
        #expect(try cli.runner.run(["run", "--config", config]).status == 0)
        let before = try cli.packFiles()
        for i in 0..<6 { try FileTree.writeRandom(cli.directory.sub("media/big/part \(i).bin"), count: 8 << 20, seed: UInt64(900 + i)) }

        let log = cli.directory.sub("run.log")
        let process = try cli.runner.start(["run", "--config", config], output: log)
        // The known stage: the second run's /start ping went out and the volume's first new pack is written.
        let reached = try Poll.until(timeout: 120) {
            guard process.isRunning else { return true }
            let started = listener.requests.filter { $0.hasPrefix("POST /check-uuid/start ") }.count == 2
            return try started && cli.packFiles().count > before.count
        }
        let wasRunning = process.isRunning
        if wasRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        try #require(reached && wasRunning, "the run ended before the signal could be sent\n\(output)")
        #expect(process.terminationStatus == 143, "\(output)")

        let status = try #require(RunStatus.load(path: cli.directory.sub("state/status.json")))
        #expect(status.exitCode == 143)
        #expect(status.interrupted?.contains("SIGTERM") == true, "\(String(describing: status.interrupted))")
        #expect(status.interrupted?.contains("archive") == true, "the volume not reached is named: \(String(describing: status.interrupted))")
        #expect(status.healthy == false)
        #expect(status.sources["media"]?.state == SourceState.failed.rawValue)
        let metrics = try String(contentsOfFile: cli.directory.sub("state/metrics.prom"), encoding: .utf8)
        #expect(metrics.contains("stackbackup_run_interrupted 1"), "\(metrics)")
        #expect(metrics.contains("stackbackup_run_exit_code 143"), "\(metrics)")
        #expect(metrics.contains("stackbackup_errors{source=\"media\",kind=\"volume\"} 1"), "\(metrics)")

        let fail = try #require(listener.pings.last { $0.line.hasPrefix("POST /check-uuid/fail ") }, "\(listener.requests)")
        #expect(fail.body.contains("SIGTERM"), "\(fail.body)")
        #expect(listener.requests.filter { $0.hasPrefix("POST /check-uuid ") }.count == 1, "only the first run pinged success")

        #expect(try cli.lockFiles().isEmpty, "a repository lock was left behind")
        #expect(!FileManager.default.fileExists(atPath: cli.directory.sub("state/.stackbackup-run.lock")), "the run lock file was left behind")
        let shown = try cli.runner.run(["status", "--config", config])
        #expect(shown.status == 3 && shown.stdout.contains("last run was stopped: interrupted by SIGTERM"), "\(shown)")

        // The next run completes and is healthy again.
        let next = try cli.runner.run(["run", "--config", config])
        #expect(next.status == 0, "\(next)")
        #expect(RunStatus.load(path: cli.directory.sub("state/status.json"))?.healthy == true)
    }
}
