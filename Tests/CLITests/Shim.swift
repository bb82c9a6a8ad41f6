import Foundation
import StackBackupTestSupport

/// An LD_PRELOAD library built from a C file in Tests/Shims with the system's
/// `cc`, into a scratch folder that lives as long as the value.
struct Shim {
    let directory = TemporaryDirectory("stackbackup-shim")
    let path: String

    init(_ name: String) throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Shims/\(name).c").path
        path = directory.sub("\(name).so")
        var failures: [String] = []
        // gcc's cc where installed, else the clang that ships with the Swift toolchain.
        for compiler in ["cc", "clang"] {
            let cc = Process()
            cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            cc.arguments = [compiler, "-shared", "-fPIC", "-O2", "-o", path, source, "-ldl"]
            let errors = Pipe()
            cc.standardError = errors
            try cc.run()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            cc.waitUntilExit()
            if cc.terminationStatus == 0 { return }
            failures.append("\(compiler): \(message)")
        }
        throw ShimFailure(description: "cannot build \(source) (apt-get install gcc): \(failures.joined(separator: "; "))")
    }

    /// `cli`'s runner with this library preloaded and `environment` added.
    func runner(_ cli: CLIRepository, _ environment: [String: String]) -> CLIRunner {
        var runner = cli.runner
        runner.environment["LD_PRELOAD"] = path
        runner.environment.merge(environment) { _, new in new }
        return runner
    }
}

extension CLIRepository {
    /// Runs `stackbackup ARGS --repo REPO --password-file FILE` with another runner (e.g. a preloaded shim).
    func run(_ arguments: [String], with runner: CLIRunner) throws -> CLIRunner.Result {
        try runner.run(arguments + ["--repo", repo, "--password-file", passwordFile])
    }
}

/// A failed setup step of a CLI test, with what failed.
struct ShimFailure: Error, CustomStringConvertible {
    let description: String
}
