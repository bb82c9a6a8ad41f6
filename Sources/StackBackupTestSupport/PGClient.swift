import Foundation
import StackBackupKit

/// Runs a PostgreSQL client program (pg_dump, pg_restore, psql) against a test
/// server, with the server's host, port and user as `PG*` variables, for
/// comparisons that must not go through stackbackup's own code.
public enum PGClient {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The program's stdout; throws `Failure` with its stderr when it exits non-zero.
    public static func run(_ arguments: [String], server: PGConnectionConfig) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        if let host = server.host { environment["PGHOST"] = host }
        if let port = server.port { environment["PGPORT"] = String(port) }
        if let user = server.user { environment["PGUSER"] = user }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read stderr beside stdout so a full pipe never blocks the child.
        let errors = ClientOutput()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errors.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: errors.data, as: UTF8.self).prefix(2000))")
        }
        return [UInt8](data)
    }
}

private final class ClientOutput: @unchecked Sendable {
    var data = Data()
}
