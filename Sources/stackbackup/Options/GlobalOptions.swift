import ArgumentParser
import Foundation
import StackBackupKit

/// Options every command accepts. Every command works from these flags alone;
/// a config file only supplies defaults.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("repo"), help: ArgumentHelp("Repository folder. Default: $STACKBACKUP_REPOSITORY, then the config's `repository`.", valueName: "path"))
    var repository: String?

    @Option(help: ArgumentHelp("File holding the repository passphrase (else $STACKBACKUP_PASSWORD_FILE, the systemd credential stackbackup-passphrase, $STACKBACKUP_PASSWORD, the config's password_file, a prompt).", valueName: "file"))
    var passwordFile: String?

    @Option(help: ArgumentHelp("Config file. Default: $STACKBACKUP_CONFIG, then /etc/stackbackup/config.yml when it exists.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Wait up to this many seconds for a conflicting repository lock (another backup, prune, forget or key change) before exiting 11. Default 0; `run` waits 60.", valueName: "seconds"))
    var lockWait: Double?

    @Flag(help: "Print machine-readable JSON on stdout.")
    var json = false

    @Flag(name: .shortAndLong, help: "Say more: where the passphrase came from, each file, timings.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Print only errors and the requested data.")
    var quiet = false

    func makeConsole() -> Console { Console(json: json, quiet: quiet, verbose: verbose) }
}

/// What a command needs from its environment, resolved lazily so that
/// commands which need no repository never ask for a passphrase.
final class CommandContext {
    let options: GlobalOptions
    let console: Console
    let environment = ProcessInfo.processInfo.environment
    private var loadedConfig: StackConfig??

    init(_ options: GlobalOptions) {
        self.options = options
        self.console = options.makeConsole()
    }

    var configPath: String? { StackConfig.locate(flag: options.config, environment: environment) }

    /// The config when one is given or found; nil when none exists.
    func config() throws -> StackConfig? {
        if let loadedConfig { return loadedConfig }
        let config = try configPath.map { try StackConfig.load(path: $0) }
        loadedConfig = .some(config)
        return config
    }

    /// The config, or the empty one (a `default` server from the PG* environment) without a file.
    func stackConfig() throws -> StackConfig {
        try config() ?? StackConfig()
    }

    func requireConfig(for purpose: String) throws -> StackConfig {
        guard let config = try config() else {
            throw RepositoryError(.invalidArgument, "\(purpose) needs a config file: give --config FILE or set STACKBACKUP_CONFIG (see policies/stack.example.yml)")
        }
        return config
    }

    func repositoryLocation() throws -> String {
        if let repo = options.repository { return repo }
        if let repo = environment["STACKBACKUP_REPOSITORY"], !repo.isEmpty { return repo }
        if let repo = try config()?.repository { return repo }
        throw RepositoryError(.invalidArgument, "no repository given: use --repo PATH, set STACKBACKUP_REPOSITORY, or set `repository:` in the config")
    }

    func backend() throws -> Backend {
        try backend(at: try repositoryLocation())
    }

    /// The backend for a location: a folder, or `s3:https://host/bucket/prefix`
    /// with credentials from the config's `s3_access_key_file`/`s3_secret_key_file`
    /// when set, else `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`.
    func backend(at location: String, credentials: S3Credentials? = nil) throws -> Backend {
        let parsed = try BackendLocation.parse(location)
        var creds = credentials
        if creds == nil, case .s3 = parsed, let config = try config(),
           let id = config.s3AccessKeyFile, let secret = config.s3SecretKeyFile {
            creds = try S3Credentials(accessKeyFile: id, secretKeyFile: secret)
        }
        return try parsed.makeBackend(environment: environment, credentials: creds)
    }

    /// `prompt: false` for optional uses of the repository, which must not stop to ask.
    func passphrase(prompt: Bool = true) throws -> [UInt8] {
        let resolved = try Passphrase.resolve(
            flagFile: options.passwordFile,
            configFile: try config()?.passwordFile,
            environment: environment,
            prompt: prompt ? { try TerminalPrompt.passphrase("Repository passphrase: ") } : nil)
        console.detail("passphrase from \(resolved.source)")
        return resolved.bytes
    }

    func openRepository() throws -> Repository {
        let backend = try backend()
        return try openRepository(backend: backend, passphrase: try passphrase())
    }

    func openRepository(backend: Backend, passphrase: [UInt8]) throws -> Repository {
        let exists: Bool
        do {
            exists = try backend.exists(Handle(.config, "config"))
        } catch let error as BackendError where error.code == .notFound {
            exists = false // an S3 bucket that does not exist
        }
        guard exists else {
            throw RepositoryError(.noRepository, "no repository at \(backend.location); create one with `stackbackup init --repo \(backend.location)`")
        }
        let repository = try Repository.open(backend: backend, passphrase: passphrase)
        repository.lockWait = max(0, options.lockWait ?? 0)
        repository.cancellation = StopSignal.token
        return repository
    }
}
