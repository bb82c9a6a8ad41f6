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

    private func expectExitCodeTable(_ text: String) {
        for entry in ["0 ok", "1 error", "3 partial failure", "10 no repository", "11 repository locked",
                      "12 wrong passphrase", "13 integrity damage found", "64 usage error", "130 interrupted"] {
            #expect(text.contains(entry), "help lacks exit code '\(entry)'")
        }
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

    @Test func anUnknownOptionIsAUsageError() throws {
        let result = try runner.run(["snapshots", "--no-such-option"])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("--no-such-option"))
    }
}
