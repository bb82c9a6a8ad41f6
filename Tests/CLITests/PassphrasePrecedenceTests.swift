import Foundation
import StackBackupTestSupport
import Testing

/// The passphrase sources in the order Passphrase.swift documents, each
/// checked against every other: the highest source given wins, whether it
/// holds the right passphrase or a wrong one. (The terminal prompt, the last
/// source, is covered by the no-terminal test in RepositoryAccessTests.)
@Suite("CLI passphrase precedence")
struct PassphrasePrecedenceTests {
    /// The sources, highest precedence first, and how `-v` names each.
    enum Source: Int, CaseIterable, CustomTestStringConvertible {
        case flagFile, environmentFile, systemdCredential, environmentValue, configFile

        var testDescription: String { "\(self)" }

        func verboseName(_ file: String) -> String {
            switch self {
            case .flagFile: "--password-file \(file)"
            case .environmentFile: "STACKBACKUP_PASSWORD_FILE"
            case .systemdCredential: "systemd credential"
            case .environmentValue: "STACKBACKUP_PASSWORD"
            case .configFile: "password_file \(file)"
            }
        }
    }

    /// Runs `snapshots -v` with `passphrases[source]` offered at each source.
    private func snapshots(_ fixture: CLIRepository, _ passphrases: [Source: String]) throws -> (CLIRunner.Result, [Source: String]) {
        var environment: [String: String] = [:]
        var arguments = ["snapshots", "-v", "--repo", fixture.repo]
        var files: [Source: String] = [:]
        for (source, passphrase) in passphrases {
            let file = try fixture.directory.write("\(source)/stackbackup-passphrase", passphrase + "\n")
            files[source] = file
            switch source {
            case .flagFile: arguments += ["--password-file", file]
            case .environmentFile: environment["STACKBACKUP_PASSWORD_FILE"] = file
            case .systemdCredential: environment["CREDENTIALS_DIRECTORY"] = fixture.directory.sub("\(source)")
            case .environmentValue: environment["STACKBACKUP_PASSWORD"] = passphrase
            case .configFile:
                let config = try fixture.directory.write("config.yml", "password_file: \(file)\n")
                arguments += ["--config", config]
            }
        }
        return (try CLIRunner(environment: environment).run(arguments), files)
    }

    @Test(arguments: Source.allCases)
    func theRightPassphraseWinsOverWrongOnesBelowIt(winner: Source) throws {
        let fixture = try CLIRepository("cli-passphrase")
        var offered: [Source: String] = [winner: fixture.passphrase]
        for lower in Source.allCases where lower.rawValue > winner.rawValue {
            offered[lower] = "wrong at \(lower)"
        }
        let (result, files) = try snapshots(fixture, offered)
        #expect(result.status == 0, "\(result)")
        let used = "passphrase from \(winner.verboseName(files[winner] ?? ""))\n"
        #expect(result.stderr.contains(used), "\(result)")
    }

    @Test(arguments: Source.allCases)
    func aWrongPassphraseWinsOverRightOnesBelowIt(winner: Source) throws {
        let fixture = try CLIRepository("cli-passphrase")
        var offered: [Source: String] = [winner: "wrong at \(winner)"]
        for lower in Source.allCases where lower.rawValue > winner.rawValue {
            offered[lower] = fixture.passphrase
        }
        let (result, files) = try snapshots(fixture, offered)
        #expect(result.status == 12, "\(result)")
        #expect(result.stderr.contains("wrong passphrase"), "\(result)")
        let used = "passphrase from \(winner.verboseName(files[winner] ?? ""))\n"
        #expect(result.stderr.contains(used), "\(result)")
    }
}
