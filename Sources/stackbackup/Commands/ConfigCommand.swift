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
            abstract: "Validate the config: syntax and keys with line numbers, paths, and what a restore of the stack would miss.",
            discussion: "Exit code 1 when there are errors; warnings alone exit 0.\n\n\(ExitStatus.table)")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                guard let path = context.configPath else {
                    throw RepositoryError(.invalidArgument, "no config file: give --config FILE or set STACKBACKUP_CONFIG")
                }
                let config = try StackConfig.load(path: path)
                let findings = ConfigCheck.run(config, configPath: path)
                if global.json {
                    try context.console.printJSON(findings.map { FindingJSON(file: path, line: $0.line, severity: $0.severity.rawValue, message: $0.message) })
                } else {
                    for finding in findings { context.console.output(finding.formatted(file: path)) }
                    if findings.isEmpty { context.console.info("\(path): ok") }
                }
                return findings.contains { $0.severity == .error } ? .failure : .ok
            }
        }
    }
}

private struct FindingJSON: Encodable {
    let file: String, line: Int?, severity: String, message: String
}
