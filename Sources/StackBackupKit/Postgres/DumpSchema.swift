import Foundation

/// Runs pg_dump as a subprocess for the schema sections of a dump.
///
/// Connection settings go to the child as `PG*` environment variables and the
/// password (from `passwordFile`) as `PGPASSWORD` in its environment only,
/// never on a command line other users can read.
struct DumpSchema {
    let command: [String]
    let connection: PGConnectionConfig
    let lockTimeout: TimeInterval

    /// The version pg_dump reports: "15.18" and its major number.
    func version() throws -> (string: String, major: Int) {
        let output = try run(["--version"], section: "version")
        // "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
        let text = String(decoding: output, as: UTF8.self)
        let afterName = text.range(of: ")").map { text[$0.upperBound...] } ?? Substring(text)
        guard let token = afterName.split(separator: " ").first(where: { $0.first?.isNumber == true }),
              let major = Int(token.prefix { $0.isNumber }) else {
            throw DumpError.pgDumpFailed(section: "version", message: "unexpected `pg_dump --version` output: \(PGError.oneLine(text))")
        }
        return (String(token.trimmingCharacters(in: .whitespacesAndNewlines)), major)
    }

    /// Fails with `DumpError.pgDumpTooOld` unless pg_dump's major version is at least the server's.
    func checkVersion(serverVersion: Int, serverVersionString: String) throws {
        let (string, major) = try version()
        if major < serverVersion / 10000 {
            throw DumpError.pgDumpTooOld(pgDumpVersion: string, serverVersion: serverVersionString)
        }
    }

    /// `pg_dump --snapshot=ID --schema-only --section=SECTION` with psql-only
    /// meta lines removed.
    func dump(section: String, snapshot: String) throws -> [UInt8] {
        let lockMillis = max(1, Int((lockTimeout * 1000).rounded()))
        let output = try run(["--snapshot=\(snapshot)", "--schema-only", "--section=\(section)",
                              "--no-password", "--lock-wait-timeout=\(lockMillis)"], section: section)
        return DumpSchema.stripMetaCommands(output)
    }

    /// Drops the psql meta-commands pg_dump ≥ 15.14 wraps plain output in:
    /// `\restrict KEY` (its first command) and the matching `\unrestrict KEY`.
    /// They are not SQL, and the key is random per run, which would defeat
    /// deduplication. Only these exact lines go: another line starting with a
    /// backslash may be part of a function body or a string literal.
    static func stripMetaCommands(_ text: [UInt8]) -> [UInt8] {
        let restrict = Array("\\restrict ".utf8)
        var unrestrict: [UInt8]?
        var out = [UInt8]()
        out.reserveCapacity(text.count)
        var start = 0
        while start < text.count {
            let end = text[start...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? text.count
            let line = text[start..<end]
            var body = line
            while let last = body.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { body = body.dropLast() }
            if unrestrict == nil, body.starts(with: restrict) {
                unrestrict = Array("\\unrestrict ".utf8) + body.dropFirst(restrict.count)
            } else if let unrestrict, body.elementsEqual(unrestrict) {
                // The end of the restricted section.
            } else {
                out.append(contentsOf: line)
            }
            start = end
        }
        return out
    }

    private var environment: [String: String] {
        get throws {
            var env = ProcessInfo.processInfo.environment
            if let host = connection.host { env["PGHOST"] = host }
            if let port = connection.port { env["PGPORT"] = String(port) }
            if let user = connection.user { env["PGUSER"] = user }
            if let database = connection.database { env["PGDATABASE"] = database }
            if let sslMode = connection.sslMode { env["PGSSLMODE"] = sslMode }
            if let timeout = connection.connectTimeout { env["PGCONNECT_TIMEOUT"] = String(timeout) }
            env["PGAPPNAME"] = connection.applicationName + "-pg_dump"
            if let file = connection.passwordFile {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw DumpError.pgDumpFailed(section: "setup", message: "cannot read the password file \(file)")
                }
                let text = String(decoding: data, as: UTF8.self)
                env["PGPASSWORD"] = String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                    .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            }
            return env
        }
    }

    private func run(_ arguments: [String], section: String) throws -> [UInt8] {
        guard let program = command.first else {
            throw DumpError.pgDumpNotFound(command: "", reason: "the pg_dump command is empty")
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
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw DumpError.pgDumpNotFound(command: command.joined(separator: " "), reason: "\(error.localizedDescription)")
        }
        // Drain stderr on its own thread so a chatty child cannot block on a full pipe.
        let errorBox = ByteBox()
        let errorDone = DispatchSemaphore(value: 0)
        let errorThread = Thread {
            errorBox.bytes = [UInt8](stderr.fileHandleForReading.readDataToEndOfFile())
            errorDone.signal()
        }
        errorThread.start()
        let output = [UInt8](stdout.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        errorDone.wait()
        let status = process.terminationStatus
        guard process.terminationReason == .exit, status == 0 else {
            let firstLine = String(decoding: errorBox.bytes, as: UTF8.self)
                .split(separator: "\n").first.map(String.init) ?? "exit status \(status)"
            if status == 127 {
                throw DumpError.pgDumpNotFound(command: command.joined(separator: " "), reason: firstLine)
            }
            throw DumpError.pgDumpFailed(section: section, message: firstLine)
        }
        return output
    }
}

/// A byte buffer handed from the stderr reader thread back to `run`.
private final class ByteBox: @unchecked Sendable {
    var bytes: [UInt8] = []
}
