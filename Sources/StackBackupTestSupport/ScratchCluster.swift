import Foundation
#if canImport(Glibc)
import Glibc
#endif
import StackBackupKit

/// A second, empty PostgreSQL server for a test (the "fresh machine" of a
/// disaster recovery), started with scripts/pg-cluster.sh like the main test
/// server and stopped and removed by `stop()` or on release.
public final class ScratchCluster: @unchecked Sendable {
    public let config: PGConnectionConfig
    private let directory: String
    private var stopped = false

    /// `bin`: another installation's programs (`pg-cluster.sh start --bin`), else the test cluster's.
    public init(bin: String? = nil) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stackbackup-pg2-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // pg-cluster.sh removes a folder on stop only when it carries its marker.
        FileManager.default.createFile(atPath: dir + "/.stackbackup-pg-cluster", contents: nil)
        directory = dir
        let output = try Self.script(["start", dir] + (bin.map { ["--bin", $0] } ?? []))
        // "export PGHOST=127.0.0.1 PGPORT=NNNN PGUSER=postgres PGDATABASE=postgres"
        var values: [String: String] = [:]
        for word in output.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        guard let port = values["PGPORT"].flatMap(Int.init) else {
            throw FileTree.Failure(description: "pg-cluster.sh start printed no port: \(output)")
        }
        config = PGConnectionConfig(host: values["PGHOST"] ?? "127.0.0.1", port: port, user: values["PGUSER"] ?? "postgres",
                                    database: "postgres", applicationName: "stackbackup-tests")
    }

    deinit { stop() }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        _ = try? Self.script(["stop", directory])
    }

    /// Runs scripts/pg-cluster.sh of this checkout and returns its stdout.
    /// posix_spawn and waitpid, not Foundation's Process: the server the script
    /// starts inherits Process's internal pipe, so waitUntilExit would never return.
    static func script(_ arguments: [String]) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("pg-cluster-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let words = ["/bin/bash", root.appendingPathComponent("scripts/pg-cluster.sh").path] + arguments
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, &argv, environ)
        guard spawned == 0 else { throw FileTree.Failure(description: "could not start scripts/pg-cluster.sh: errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
        // WIFEXITED && WEXITSTATUS == 0, spelled out (the C macros do not import).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw FileTree.Failure(description: "scripts/pg-cluster.sh \(arguments.joined(separator: " ")) failed (wait status \(status)): \(output)")
        }
        return output
    }
}
