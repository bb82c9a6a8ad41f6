import Foundation
import StackBackupTestSupport

/// The binary started in the background with its stderr kept in a file, for
/// tests that stop, continue or kill it and then read what it said.
struct ChildProcess {
    let process: Process
    let stderrPath: String

    init(_ runner: CLIRunner, _ arguments: [String], stderrPath: String) throws {
        guard FileManager.default.createFile(atPath: stderrPath, contents: nil),
              let stderr = FileHandle(forWritingAtPath: stderrPath) else {
            throw TestFailure("cannot create \(stderrPath)")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: CLIRunner.binaryPath)
        process.arguments = arguments
        process.environment = runner.environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        self.stderrPath = stderrPath
        try process.run()
        try stderr.close()
    }

    var pid: Int32 { process.processIdentifier }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The state letter of /proc/PID/stat ("R", "S", "T" for stopped, "Z"), nil once reaped.
    var state: String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.range(of: ")", options: .backwards) else { return nil }
        return stat[close.upperBound...].split(separator: " ").first.map(String.init)
    }

    /// Kills the process if it still runs (a failed test must not leave it stopped).
    func reap() {
        if process.isRunning {
            kill(pid, SIGKILL)
            kill(pid, SIGCONT)
        }
        process.waitUntilExit()
    }
}

/// Polls `condition` every few milliseconds until it holds; throws naming
/// `what` when `timeout` seconds pass first.
func poll(_ what: String, timeout: TimeInterval = 60, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return }
        guard Date() < deadline else { throw TestFailure("timed out after \(Int(timeout)) s waiting for \(what)") }
        usleep(2_000)
    }
}

extension CLIRepository {
    /// Lock files with their final names (no temp files), relative to the repository.
    func lockFiles() throws -> Set<String> {
        try finalNames(in: "locks")
    }

    /// Final names in one flat folder of a repository a live process is changing: a plain
    /// listing, with no stat of entries that a rename may take away meanwhile.
    func finalNames(in folder: String) throws -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: repo + "/" + folder)) ?? []
        return Set(names.filter { !$0.hasPrefix(".") }.map { folder + "/" + $0 })
    }

    /// Pack files with their final names (no temp files), relative to the repository.
    func packFiles() throws -> Set<String> {
        let data = repo + "/data"
        var found = Set<String>()
        for folder in try FileManager.default.contentsOfDirectory(atPath: data) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: data + "/" + folder)) ?? [] where !name.hasPrefix(".") {
                found.insert("data/\(folder)/\(name)")
            }
        }
        return found
    }
}

/// A test step that could not be carried out.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
