import Foundation
import StackBackupTestSupport
import Synchronization

/// A CLI process started with its output captured, watched through /proc:
/// which files it has open and at which offset, stopped and resumed with
/// SIGSTOP/SIGCONT so a test can change a file at a known point of its read.
final class ProbedProcess {
    struct Finished: CustomStringConvertible {
        let status: Int32
        let stdout: String
        let stderr: String
        var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
    }

    struct OpenFile {
        let path: String
        let offset: Int64
    }

    let process = Process()
    private let out = Pipe(), err = Pipe()
    private let group = DispatchGroup()
    private let captured = Mutex<(out: Data, err: Data)>((Data(), Data()))

    /// Starts `executable` (the stackbackup binary unless given) with `arguments`.
    init(_ arguments: [String], environment: [String: String], executable: String = CLIRunner.binaryPath) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes from the start so a full pipe never blocks the child.
        for (pipe, isOut) in [(out, true), (err, false)] {
            group.enter()
            DispatchQueue.global().async { [self] in
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                captured.withLock { if isOut { $0.out = data } else { $0.err = data } }
                group.leave()
            }
        }
    }

    var pid: pid_t { process.processIdentifier }

    func wait() -> Finished {
        group.wait()
        process.waitUntilExit()
        let (outData, errData) = captured.withLock { ($0.out, $0.err) }
        return Finished(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                        stderr: String(decoding: errData, as: UTF8.self))
    }

    /// The regular files it has open now (none once it has exited).
    func openFiles() -> [OpenFile] {
        let folder = "/proc/\(pid)/fd"
        guard let fds = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return fds.compactMap { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\(fd)"),
                  target.hasPrefix("/"),
                  let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8) else { return nil }
            let pos = info.split(separator: "\n").first { $0.hasPrefix("pos:") }
                .flatMap { Int64($0.dropFirst(4).trimmingCharacters(in: .whitespaces)) } ?? -1
            return OpenFile(path: target, offset: pos)
        }
    }

    /// SIGSTOP, then waits until every thread is reported stopped, so what
    /// /proc shows next stays true until `resume()`.
    func stop() -> Bool {
        kill(pid, SIGSTOP)
        return Poll.until(timeout: 10) { [self] in
            guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"), !tasks.isEmpty else { return false }
            return tasks.allSatisfy { task in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { return false }
                // Field 3, after "pid (comm) ": T is stopped by a signal.
                return stat[stat.index(close, offsetBy: 2)] == "T"
            }
        }
    }

    func resume() { kill(pid, SIGCONT) }
}
