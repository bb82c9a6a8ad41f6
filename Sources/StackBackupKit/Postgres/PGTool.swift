import Foundation

/// Runs one of PostgreSQL's client programs (pg_dump, pg_restore) as a child
/// process: the configured command line (`["pg_restore"]`, or a wrapper such as
/// `["docker", "exec", "-i", "postgres", "pg_restore"]`), connection settings as
/// `PG*` environment variables and the password (from `passwordFile`) as
/// `PGPASSWORD` in the child's environment only, never on a command line other
/// users can read. The database name goes as an argument (a wrapper such as
/// `docker exec` does not pass the environment on).
struct PGTool {
    /// "pg_dump" or "pg_restore", for messages and the config key that names it.
    let name: String
    let command: [String]
    let connection: PGConnectionConfig
    /// Extra server settings for the child's sessions (PGOPTIONS `-c name=value`).
    var sessionSettings: [String: String] = [:]

    /// The program alone, run on this machine: it can read files we write
    /// (archives, TOC lists). A wrapper gets everything on stdin instead.
    var isLocal: Bool { command.count == 1 }

    enum Input {
        case none
        case bytes([UInt8])
    }

    /// What a child that ran to its end left.
    struct Output {
        var stdout: [UInt8]
        var stderr: String
        var status: Int32
        /// Killed by a signal (our cancel, or the OOM killer).
        var signaled: Bool
    }

    /// A libpq conninfo naming only the database, so a name holding `=` or
    /// spaces is never read as a conninfo of its own.
    static func dbnameArgument(_ database: String) -> String {
        let escaped = database.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        return "dbname='\(escaped)'"
    }

    /// The version the program reports: "15.20" and its major number.
    func version() throws -> (string: String, major: Int) {
        let output = try run(["--version"])
        // "pg_restore (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
        let text = String(decoding: output.stdout, as: UTF8.self)
        guard output.status == 0, let parsed = PGTool.parseVersion(text) else {
            throw PGToolError.failed(tool: name, what: "version", message: "unexpected `\(name) --version` output: \(PGError.oneLine(text + output.stderr))")
        }
        return parsed
    }

    static func parseVersion(_ text: String) -> (string: String, major: Int)? {
        let afterName = text.range(of: ")").map { text[$0.upperBound...] } ?? Substring(text)
        guard let token = afterName.split(separator: " ").first(where: { $0.first?.isNumber == true }),
              let major = Int(token.prefix { $0.isNumber }) else { return nil }
        return (String(token.trimmingCharacters(in: .whitespacesAndNewlines)), major)
    }

    var environment: [String: String] {
        get throws {
            var env = ProcessInfo.processInfo.environment
            if let host = connection.host { env["PGHOST"] = host }
            if let port = connection.port { env["PGPORT"] = String(port) }
            if let user = connection.user { env["PGUSER"] = user }
            if let database = connection.database { env["PGDATABASE"] = database }
            if let sslMode = connection.sslMode { env["PGSSLMODE"] = sslMode }
            if let timeout = connection.connectTimeout { env["PGCONNECT_TIMEOUT"] = String(timeout) }
            env["PGAPPNAME"] = connection.applicationName + "-" + name
            if let file = connection.passwordFile {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw PGToolError.failed(tool: name, what: "setup", message: "cannot read the password file \(file)")
                }
                let text = String(decoding: data, as: UTF8.self)
                env["PGPASSWORD"] = String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                    .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            }
            if !sessionSettings.isEmpty {
                let extra = sessionSettings.sorted { $0.key < $1.key }.map { "-c \($0.key)=\($0.value)" }.joined(separator: " ")
                env["PGOPTIONS"] = [env["PGOPTIONS"], extra].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            }
            return env
        }
    }

    /// Runs the program with `arguments` appended to the command; returns when
    /// it exits. `cancel` receives a closure that kills the child (SIGKILL:
    /// the restorer drops the child's database with FORCE right after, which
    /// ends its server sessions too). Throws only when the child cannot start.
    func run(_ arguments: [String], input: Input = .none, cancel: PGToolCancel? = nil) throws -> Output {
        guard let program = command.first else {
            throw PGToolError.notFound(tool: name, command: "", reason: "the \(name) command is empty")
        }
        let process = Process()
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(command.dropFirst()) + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = command + arguments
        }
        process.environment = try environment
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        var stdinPipe: Pipe?
        switch input {
        case .none: process.standardInput = FileHandle.nullDevice
        case .bytes:
            let pipe = Pipe()
            stdinPipe = pipe
            process.standardInput = pipe
        }
        do {
            try process.run()
        } catch {
            throw PGToolError.notFound(tool: name, command: command.joined(separator: " "), reason: "\(error.localizedDescription)")
        }
        cancel?.attach(process)
        defer { cancel?.detach() }
        // stdin and stderr on their own threads, so a child blocked on a full pipe cannot deadlock us.
        let group = DispatchGroup()
        let errorBox = PGToolBytes()
        if case .bytes(let bytes) = input, let pipe = stdinPipe {
            // Only the child may hold the read end, or a child that exits early would leave the write blocked.
            try? pipe.fileHandleForReading.close()
            let writer = pipe.fileHandleForWriting
            group.enter()
            let thread = Thread {
                // A child that exits early (an error) closes its end: the write then fails, which is fine.
                signal(SIGPIPE, SIG_IGN)
                try? writer.write(contentsOf: bytes)
                try? writer.close()
                group.leave()
            }
            thread.start()
        }
        group.enter()
        let errorThread = Thread {
            errorBox.bytes = [UInt8](stderr.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
        errorThread.start()
        let output = [UInt8](stdout.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        group.wait()
        let status = process.terminationStatus
        let errorText = String(decoding: errorBox.bytes, as: UTF8.self)
        if status == 127 && process.terminationReason == .exit && errorText.contains("No such file") {
            throw PGToolError.notFound(tool: name, command: command.joined(separator: " "), reason: PGToolError.firstLine(errorText))
        }
        return Output(stdout: output, stderr: errorText, status: status, signaled: process.terminationReason != .exit)
    }
}

/// Lets another thread kill a running client program.
final class PGToolCancel: @unchecked Sendable {
    private let lock = NSLock()
    private var process: Process?
    private var cancelled = false

    func attach(_ process: Process) {
        let killNow: Bool = lock.withLock {
            self.process = process
            return cancelled
        }
        if killNow { kill(process.processIdentifier, SIGKILL) }
    }

    func detach() { lock.withLock { process = nil } }

    func cancel() {
        let running: Process? = lock.withLock {
            cancelled = true
            return process
        }
        if let running, running.isRunning { kill(running.processIdentifier, SIGKILL) }
    }
}

/// A byte buffer handed from a reader thread back to `run`.
private final class PGToolBytes: @unchecked Sendable {
    var bytes: [UInt8] = []
}

/// Why a client program could not do its work. Each description is one line.
public enum PGToolError: Error, CustomStringConvertible, Sendable {
    /// The program could not be started.
    case notFound(tool: String, command: String, reason: String)
    /// The program is older than the server or the archive needs.
    case tooOld(tool: String, version: String, needed: Int, why: String)
    /// It ran and failed; `message` is its error line.
    case failed(tool: String, what: String, message: String)

    public var description: String {
        switch self {
        case let .notFound(tool, command, reason):
            "could not run \(tool) (`\(command)`): \(reason); install it (Debian: apt-get install postgresql-client) or point `\(tool):` in the config's postgres section at it"
        case let .tooOld(tool, version, needed, why):
            "\(tool) \(version) is too old: \(why); point `\(tool):` in the config's postgres section at a \(tool) \(needed) or newer, e.g. the server's own (`docker exec -i postgres \(tool)`)"
        case let .failed(tool, what, message):
            "\(tool) failed (\(what)): \(message)"
        }
    }

    /// The first non-empty line of a program's stderr, without its "pg_restore: error: " prefix.
    static func firstLine(_ text: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        return line.isEmpty ? "no message" : line
    }
}
