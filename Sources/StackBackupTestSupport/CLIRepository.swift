import Foundation
import StackBackupKit

/// A scratch folder with a repository created through the real binary
/// (`init --scrypt-log-n 10`, cheap) and a passphrase file, for CLI tests.
/// `run` adds `--repo` and `--password-file` to every command.
public final class CLIRepository: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let repo: String
    public let passwordFile: String
    public let passphrase: String
    public let runner: CLIRunner

    /// Creates the folder and, unless `initialize` is false, the repository.
    /// `environment` is added to every command's (e.g. `TZ` for local times).
    public init(_ prefix: String = "stackbackup-cli", passphrase: String = "correct horse battery staple",
                initialize: Bool = true, environment: [String: String] = [:]) throws {
        directory = TemporaryDirectory(prefix)
        repo = directory.sub("repo")
        self.passphrase = passphrase
        passwordFile = try directory.write("passphrase", passphrase + "\n")
        runner = CLIRunner(environment: environment)
        if initialize {
            let result = try runner.run(["init", "--repo", repo, "--password-file", passwordFile, "--scrypt-log-n", "10"])
            guard result.status == 0 else { throw FileTree.Failure(description: "init failed: \(result)") }
        }
    }

    /// Runs `stackbackup ARGS --repo REPO --password-file FILE`.
    @discardableResult
    public func run(_ arguments: [String], passwordFile: String? = nil) throws -> CLIRunner.Result {
        try runner.run(arguments + ["--repo", repo, "--password-file", passwordFile ?? self.passwordFile])
    }

    /// Writes `config.yml` for `run`: this repository and passphrase, status and
    /// metrics under `state/`, no databases, one volume `src` at `source`, then
    /// `extra` (more top-level YAML). Returns its path.
    public func nightlyConfig(source: String, extra: String = "") throws -> String {
        try directory.write("config.yml", """
        repository: \(repo)
        password_file: \(passwordFile)
        status_file: \(directory.sub("state/status.json"))
        metrics_file: \(directory.sub("state/metrics.prom"))
        postgres:
          databases: []
        volumes:
          src:
            path: \(source)

        """ + extra)
    }

    /// Runs a command that must succeed and returns its result, else throws with its output.
    @discardableResult
    public func succeed(_ arguments: [String]) throws -> CLIRunner.Result {
        let result = try run(arguments)
        guard result.status == 0 else {
            throw FileTree.Failure(description: "`stackbackup \(arguments.joined(separator: " "))` failed: \(result)")
        }
        return result
    }

    /// `backup path DIR --name NAME --json` and its parsed summary.
    @discardableResult
    public func backup(_ directory: String, name: String, extra: [String] = []) throws -> BackupSummary {
        let result = try succeed(["backup", "path", directory, "--name", name, "--json"] + extra)
        return try BackupSummary(json: result.stdout)
    }

    /// The repository opened in this process (for locks and direct checks).
    public func open() throws -> Repository {
        try Repository.open(backend: LocalBackend(path: repo), passphrase: Array(passphrase.utf8))
    }

    /// Every file below the repository with its size and mtime, one line each.
    public func listing() throws -> [String] {
        try FileTree.capture(repo, contents: false).map { "\($0.type) \(String(decoding: $0.path, as: UTF8.self)) \($0.size) \($0.mtimeNs)" }
    }

    /// Paths (relative to the repository) of the files in one of its folders, e.g. "data".
    public func files(in folder: String) throws -> [String] {
        try FileTree.capture(repo + "/" + folder, contents: false).filter { $0.type == "f" }
            .map { folder + "/" + String(decoding: $0.path, as: UTF8.self) }
    }
}

/// The `--json` summary `backup` prints.
public struct BackupSummary: Sendable {
    public let snapshot: String?
    public let parent: String?
    public let dryRun: Bool
    public let stats: [String: Double]

    public init(json: String) throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw FileTree.Failure(description: "backup --json printed no object: \(json)")
        }
        snapshot = object["snapshot"] as? String
        parent = object["parent"] as? String
        dryRun = object["dry_run"] as? Bool ?? false
        stats = (object["stats"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    /// A statistic by its JSON key; -1 when missing so a test fails visibly.
    public subscript(_ key: String) -> Double { stats[key] ?? -1 }
}

extension CLIRunner.Result {
    /// True when the process ended by itself without a crash: a status below 128
    /// and no Swift runtime trap message.
    public var endedCleanly: Bool {
        status < 128 && !stderr.contains("Fatal error") && !stderr.contains("Stack dump")
    }
}
