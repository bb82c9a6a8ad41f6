import Foundation
import StackBackupTestSupport
import Testing

/// The units `systemd install` writes run as systemd would run them: the
/// ExecStart line as it stands, the passphrase from LoadCredential's folder.
@Suite struct SystemdUnitTests {
    @Test func installedUnitsRunTheirExecStartWithThePassphraseFromTheCredentialFolder() throws {
        let fixture = try CLIRepository()
        let source = fixture.directory.sub("src")
        try FileTree.writeRandom(source + "/data.bin", count: 64 << 10, seed: 4)
        let config = try fixture.nightlyConfig(source: source)
        let units = fixture.directory.sub("units")
        let install = try fixture.runner.run(["systemd", "install", "--config", config, "--directory", units,
                                              "--binary", CLIRunner.binaryPath])
        #expect(install.status == 0, "\(install)")

        // systemd hands the credential over as a file; nothing else names the passphrase.
        let credentials = fixture.directory.sub("credentials")
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try Data((fixture.passphrase + "\n").utf8).write(to: URL(fileURLWithPath: credentials + "/stackbackup-passphrase"))
        try FileManager.default.removeItem(atPath: fixture.passwordFile)
        let runner = CLIRunner(environment: ["CREDENTIALS_DIRECTORY": credentials])

        func execStart(_ unit: String) throws -> [String] {
            let text = try String(contentsOfFile: units + "/" + unit, encoding: .utf8)
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
            let words = line.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
            #expect(words.first == CLIRunner.binaryPath)
            return Array(words.dropFirst())
        }
        let nightly = try runner.run(try execStart("stackbackup.service"))
        #expect(nightly.status == 0 && nightly.stderr.contains("all sources backed up"), "\(nightly)")
        #expect(FileManager.default.fileExists(atPath: fixture.directory.sub("state/status.json")))
        let weekly = try runner.run(try execStart("stackbackup-verify.service"))
        #expect(weekly.status == 0 && weekly.stdout.contains("no damage found: 1 snapshots"), "\(weekly)")
    }

    @Test func systemdAnalyzeAcceptsTheUnits() throws {
        let analyze = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: analyze) || !TestPostgres.isCI,
                     "systemd-analyze is missing: install the systemd package")
        guard FileManager.default.isExecutableFile(atPath: analyze) else { return }
        let fixture = try CLIRepository()
        let units = fixture.directory.sub("units")
        let config = try fixture.directory.write("config.yml", "repository: \(fixture.repo)\npassword_file: \(fixture.passwordFile)\n")
        #expect(try fixture.runner.run(["systemd", "install", "--config", config, "--directory", units, "--binary", CLIRunner.binaryPath]).status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyze)
        process.arguments = ["verify"] + ["stackbackup.service", "stackbackup.timer", "stackbackup-verify.service", "stackbackup-verify.timer"]
            .map { units + "/" + $0 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(!output.contains("Unknown"), "\(output)")
    }
}
