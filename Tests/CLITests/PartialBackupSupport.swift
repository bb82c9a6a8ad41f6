import Foundation
import StackBackupTestSupport

/// Runs the CLI as `nobody` through util-linux's setpriv (in every Debian
/// install): root reads everything, so only an unprivileged user meets EACCES.
enum Unprivileged {
    static let setpriv = "/usr/bin/setpriv"
    static let prefix = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]

    /// Hands `folder` (repository, password file, sources) to nobody.
    static func giveAway(_ folder: String) throws {
        let chown = try Process.run(URL(fileURLWithPath: "/bin/chown"), arguments: ["-R", "nobody:nogroup", folder])
        chown.waitUntilExit()
        guard chown.terminationStatus == 0 else { throw SetupFailure("chown -R nobody \(folder) failed") }
    }

    /// Runs `stackbackup ARGS` as nobody, with the fixture's repository unless `withRepository` is false.
    static func run(_ arguments: [String], fixture: CLIRepository, withRepository: Bool = true) throws -> ProbedProcess.Finished {
        var environment = fixture.runner.environment
        environment["HOME"] = fixture.directory.path
        let repository = withRepository ? ["--repo", fixture.repo, "--password-file", fixture.passwordFile] : []
        let all = prefix + [CLIRunner.binaryPath] + arguments + repository
        return try ProbedProcess(all, environment: environment, executable: setpriv).wait()
    }
}

/// A chain of folders deeper than PATH_MAX allows as one path, made and
/// removed relative to folder descriptors (mkdirat/openat).
enum PathMaxChain {
    static func make(under root: String, component: String, depth: Int, leaf: String) throws {
        var fd = open(root, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw SetupFailure("cannot open \(root)") }
        for _ in 0..<depth {
            guard mkdirat(fd, component, 0o755) == 0 else { close(fd); throw SetupFailure("mkdirat failed: \(errno)") }
            let next = openat(fd, component, O_RDONLY | O_DIRECTORY)
            close(fd)
            guard next >= 0 else { throw SetupFailure("openat failed: \(errno)") }
            fd = next
        }
        defer { close(fd) }
        let file = openat(fd, leaf, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard file >= 0 else { throw SetupFailure("cannot create the leaf: \(errno)") }
        _ = write(file, "bottom\n", 7)
        close(file)
    }

    /// GNU rm walks with descriptors; FileManager cannot remove paths past PATH_MAX.
    static func remove(_ root: String) {
        if let rm = try? Process.run(URL(fileURLWithPath: "/bin/rm"), arguments: ["-rf", root]) { rm.waitUntilExit() }
    }
}

/// Facts about a file for comparing versions of it.
enum FileFacts {
    /// st_ctim in nanoseconds: moves with every write.
    static func changeTime(_ path: String) throws -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw SetupFailure("cannot stat \(path)") }
        return Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
    }

    /// Truncates the file in place (same inode, unlike FileManager's atomic
    /// replace) and writes `count` seeded bytes: what an open reader sees.
    static func rewriteInPlace(_ path: String, count: Int, seed: UInt64) throws {
        let fd = open(path, O_WRONLY | O_TRUNC)
        guard fd >= 0 else { throw SetupFailure("cannot open \(path) for writing") }
        defer { close(fd) }
        var random = SeededRandom(seed: seed)
        let bytes = random.bytes(count)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        guard written == count else { throw SetupFailure("short write to \(path)") }
    }

    /// The length and a hash of the content, read in 4 MiB pieces.
    static func digest(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw SetupFailure("cannot open \(path)") }
        defer { try? handle.close() }
        var hasher = Hasher()
        var total = 0
        while let piece = try handle.read(upToCount: 4 << 20), !piece.isEmpty {
            hasher.combine(piece)
            total += piece.count
        }
        return "\(total) bytes, hash \(hasher.finalize())"
    }
}

struct SetupFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
