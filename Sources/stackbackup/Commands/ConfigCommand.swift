import ArgumentParser
import Foundation
import StackBackupKit

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with the config file.",
        discussion: ExitStatus.table,
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the config: every mistake with its line, the folders, the repository, the PostgreSQL servers, and what a restore of the stack would miss.",
            discussion: """
            Prints one line per finding, `FILE:LINE: error|warning: message` (`--json`: a list of {file, line, severity, message}). \
            Checks that the repository opens with the passphrase the other commands would use (never prompting), that each \
            PostgreSQL server answers with the configured credentials and each database exists, that pg_dump and pg_restore \
            are at least as new as the server, that every volume folder exists and is readable, that the passphrase file is \
            not readable by group or others, that Immich's `.immich` markers are backed up, and says when no database is configured. \
            --no-connect skips the repository and the servers.

            Exit code 1 when there are errors; warnings alone exit 0.

            \(ExitStatus.table)
            """)
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Do not open the repository or connect to PostgreSQL: check the file and the folders only.")
        var noConnect = false

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                guard let path = context.configPath else {
                    throw RepositoryError(.invalidArgument, "no config file: give --config FILE or set STACKBACKUP_CONFIG")
                }
                let (config, errors) = StackConfig.loadCollecting(path: path)
                let services = ConfigCheckServices(openRepository: noConnect ? nil : openRepository(context, config), postgres: !noConnect)
                let findings = ConfigCheck.run(config, configPath: path, parseErrors: errors, services: services)
                if global.json {
                    try context.console.printJSON(findings.map { FindingJSON(file: path, line: $0.line, severity: $0.severity.rawValue, message: $0.message) })
                } else {
                    for finding in findings { context.console.output(finding.formatted(file: path)) }
                    if findings.isEmpty { context.console.info("\(path): ok") }
                }
                return findings.contains { $0.severity == .error } ? .failure : .ok
            }
        }

        /// Opens the repository the other commands would use, from the flags,
        /// the environment or the (possibly partly broken) config; nil when none is named.
        func openRepository(_ context: CommandContext, _ config: StackConfig) -> (() throws -> Void)? {
            let environment = context.environment
            let location = global.repository ?? environment["STACKBACKUP_REPOSITORY"].flatMap { $0.isEmpty ? nil : $0 } ?? config.repository
            guard let location else { return nil }
            return {
                let passphrase = try Passphrase.resolve(flagFile: global.passwordFile, configFile: config.passwordFile,
                                                        environment: environment, prompt: nil)
                var credentials: S3Credentials?
                if let id = config.s3AccessKeyFile, let secret = config.s3SecretKeyFile {
                    credentials = try S3Credentials(accessKeyFile: id, secretKeyFile: secret)
                }
                _ = try context.openRepository(backend: try context.backend(at: location, credentials: credentials),
                                               passphrase: passphrase.bytes)
            }
        }
    }
}

private struct FindingJSON: Encodable {
    let file: String, line: Int?, severity: String, message: String
}
