import Foundation

/// Runs the built `stackbackup` binary as a user would: a real process, no
/// stdin, the given environment. Finds the binary next to the test bundle,
/// or at `$STACKBACKUP_BINARY`.
public struct CLIRunner: Sendable {
    public struct Result: Sendable, CustomStringConvertible {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
    }

    public var environment: [String: String]

    public init(environment: [String: String] = [:]) {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("STACKBACKUP_") || $0.key == "STACKBACKUP_BINARY" }
        env["CREDENTIALS_DIRECTORY"] = nil
        env.merge(environment) { _, new in new }
        self.environment = env
    }

    public static var binaryPath: String {
        if let explicit = ProcessInfo.processInfo.environment["STACKBACKUP_BINARY"] { return explicit }
        // The test bundle lives in .build/<triple>/debug/; so does the binary.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("stackbackup").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return here.appendingPathComponent(".build/debug/stackbackup").path
    }

    @discardableResult
    public func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binaryPath)
        process.arguments = arguments
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        // Read both pipes concurrently so a full pipe never blocks the child.
        let errData = ReadBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self))
    }

    /// Starts the binary without waiting, for tests that kill it. With
    /// `output`, stdout and stderr go to that file (read it after the exit).
    public func start(_ arguments: [String], output: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binaryPath)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil), let handle = FileHandle(forWritingAtPath: output) else {
                throw FileTree.Failure(description: "cannot create \(output)")
            }
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }
}

private final class ReadBox: @unchecked Sendable {
    var data = Data()
}
