import Foundation
import StackBackupTestSupport
import Testing

/// The help text is part of the interface: scripts and operators rely on the
/// subcommand list and the exit-code table. These pin its key lines.
@Suite("CLI help")
struct HelpTests {
    let runner = CLIRunner()

    /// Help text with line breaks folded, so pins survive rewrapping.
    private func help(_ arguments: [String]) throws -> String {
        let result = try runner.run(arguments + ["--help"])
        #expect(result.status == 0, "\(result)")
        return result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    private func expectExitCodeTable(_ text: String, of command: String = "") {
        let entries = ["0 ok", "1 error", "3 partial failure", "10 no repository", "11 repository locked",
                       "12 wrong passphrase", "13 integrity damage found", "64 usage error", "130 interrupted (SIGINT)", "143 terminated (SIGTERM)"]
        let missing = entries.filter { !text.contains($0) }
        #expect(missing.isEmpty, "help of '\(command)' lacks these exit codes")
    }

    /// The names in a help text's SUBCOMMANDS section (argument-parser's layout:
    /// two spaces, the name, an optional "(default)", the abstract).
    private func subcommands(in help: String) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { return [] }
        return lines[(start + 1)...].prefix { !$0.isEmpty }
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    @Test func rootHelpListsEverySubcommandAndTheExitCodes() throws {
        let text = try help([])
        #expect(text.contains("USAGE: stackbackup <subcommand>"))
        for subcommand in ["init", "key", "backup", "snapshots", "ls", "diff", "restore", "verify", "status", "unlock", "config", "systemd"] {
            #expect(text.contains("SUBCOMMANDS:") && text.range(of: " \(subcommand) ") != nil, "root help lacks \(subcommand)")
        }
        expectExitCodeTable(text)
    }

    @Test func backupHelpListsVolumeAndPath() throws {
        let text = try help(["backup"])
        #expect(text.contains("USAGE: stackbackup backup <subcommand>"))
        #expect(text.contains("volume Back up the volumes named in the config"))
        #expect(text.contains("path Back up any folder as a volume snapshot"))
        let path = try help(["backup", "path"])
        for option in ["--name <name>", "--tag <tag>", "--time <time>", "--dry-run", "--exclude <glob>", "--repo <path>", "--password-file <file>", "--json"] {
            #expect(path.contains(option), "backup path help lacks \(option)")
        }
        expectExitCodeTable(path)
    }

    @Test func restoreHelpNamesTargetIncludeOverwriteAndTheExitCodes() throws {
        let text = try help(["restore"])
        #expect(text.contains("USAGE: stackbackup restore [<options>] <what>"))
        for option in ["--target <dir>", "--include <glob>", "--overwrite", "--snapshot <id>"] {
            #expect(text.contains(option), "restore help lacks \(option)")
        }
        #expect(text.contains("a damaged file is reported and removed, the others restored (exit code 3)"))
        expectExitCodeTable(text)
    }

    @Test func verifyHelpNamesItsLevelsAndTheExitCodes() throws {
        let text = try help(["verify"])
        #expect(text.contains("USAGE: stackbackup verify"))
        for option in ["--read-data ", "--read-data-subset <subset>", "--files-only"] {
            #expect(text.contains(option), "verify help lacks \(option)")
        }
        #expect(text.contains("Exit code 13 when anything is damaged"))
        expectExitCodeTable(text)
    }

    /// Walks the command tree from the root's SUBCOMMANDS list, so a command
    /// added later is checked too.
    @Test func everyGroupAndLeafCommandListsTheExitCodes() throws {
        var pending: [[String]] = [[]]
        var visited: [String] = []
        while let path = pending.popLast() {
            let result = try runner.run(path + ["--help"])
            let name = path.joined(separator: " ")
            #expect(result.status == 0, "\(name): \(result)")
            expectExitCodeTable(result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " "), of: "stackbackup \(name)")
            pending += subcommands(in: result.stdout).map { path + [$0] }
            visited.append(name)
        }
        // The walk must have reached the groups and their leaves, not stopped at the root.
        for command in ["key", "key passwd", "backup", "backup path", "backup db", "config", "config check",
                        "systemd", "systemd install", "db", "db check", "forget", "copy"] {
            #expect(visited.contains(command), "the walk never reached '\(command)'; it saw \(visited)")
        }
        #expect(visited.count >= 30, "\(visited)")
    }

    @Test func anUnknownOptionIsAUsageError() throws {
        let result = try runner.run(["snapshots", "--no-such-option"])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("--no-such-option"))
    }
}
