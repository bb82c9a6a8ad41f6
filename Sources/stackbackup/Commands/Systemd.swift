import ArgumentParser
import Foundation
import StackBackupKit

struct Systemd: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print or install the systemd units (nightly run, weekly verify) for this config.",
        discussion: ExitStatus.table,
        subcommands: [Print.self, Install.self])

    struct UnitOptions: ParsableArguments {
        @Option(help: ArgumentHelp("Where the passphrase file is (loaded with LoadCredential=).", valueName: "file"))
        var passphraseFile: String = "/etc/stackbackup/passphrase"
        @Option(help: ArgumentHelp("Path of the stackbackup binary in the units.", valueName: "path"))
        var binary: String = CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0] : "/usr/local/bin/stackbackup"
    }

    static func units(_ context: CommandContext, _ options: UnitOptions) throws -> SystemdUnits {
        let configPath = context.configPath.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "/etc/stackbackup/config.yml"
        // The units may be rendered before the config exists (e.g. for packaging).
        let config = FileManager.default.fileExists(atPath: configPath) ? try context.config() : nil
        var writable: [String] = []
        if let repo = config?.repository ?? context.options.repository { writable.append(repo) }
        for file in [config?.statusFile, config?.metricsFile].compactMap({ $0 }) {
            writable.append(URL(fileURLWithPath: file).deletingLastPathComponent().path)
        }
        return SystemdUnits(binary: options.binary, configPath: configPath, writablePaths: writable,
                            passphraseFile: config?.passwordFile ?? options.passphraseFile)
    }

    struct Print: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the units.", discussion: ExitStatus.table)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var unitOptions: UnitOptions

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                for file in try Systemd.units(context, unitOptions).files {
                    context.console.output("# \(file.name)\n\(file.content)")
                }
                return .ok
            }
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the units to /etc/systemd/system (or --directory) and say how to enable them.",
            discussion: "Refuses to overwrite different existing units unless --force.\n\n\(ExitStatus.table)")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var unitOptions: UnitOptions
        @Option(help: ArgumentHelp("Folder to write the units into.", valueName: "dir")) var directory = "/etc/systemd/system"
        @Flag(help: "Print what would be written, write nothing.") var dryRun = false
        @Flag(help: "Replace existing units that differ.") var force = false

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                let files = try Systemd.units(context, unitOptions).files
                for file in files {
                    let path = URL(fileURLWithPath: directory).appendingPathComponent(file.name).path
                    if let existing = FileManager.default.contents(atPath: path), existing != Data(file.content.utf8), !force {
                        throw RepositoryError(.invalidArgument, "\(path) exists and differs; rerun with --force to replace it")
                    }
                }
                for file in files {
                    let path = URL(fileURLWithPath: directory).appendingPathComponent(file.name).path
                    if dryRun { context.console.output("would write \(path)"); continue }
                    try AtomicFile.write(Data(file.content.utf8), to: path)
                    context.console.info("wrote \(path)")
                }
                if !dryRun {
                    context.console.info("now run: systemctl daemon-reload && systemctl enable --now stackbackup.timer stackbackup-verify.timer")
                }
                return .ok
            }
        }
    }
}
