import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import StackBackupKit
import StackBackupTestSupport

/// Builds test trees with byte names, exact modes and nanosecond mtimes.
enum VolumeFixtures {
    static let gear = try! GearTable(seed: SecretBytes([UInt8](repeating: 7, count: 32)))

    static func options(excludes: [String] = [], sqlite: [String] = [], parallelism: Int = 2) -> VolumeBackupOptions {
        VolumeBackupOptions(excludes: excludes, sqliteGlobs: sqlite, parallelism: parallelism, gear: gear)
    }

    static func path(_ root: String, _ relative: [UInt8]) -> [UInt8] {
        FileSystem.join(Array(root.utf8), relative)
    }

    static func writeFile(_ path: [UInt8], _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        let fd = FileSystem.withCPath(path) { open($0, O_WRONLY | O_CREAT | O_TRUNC, mode) }
        guard fd >= 0 else { throw VolumeError.system("open", path: path, errno: errno) }
        defer { close(fd) }
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                guard n > 0 else { throw VolumeError.system("write", path: path, errno: errno) }
                offset += n
            }
        }
        _ = FileSystem.withCPath(path) { chmod($0, mode) }
    }

    /// A file of `size` seeded random bytes, written 8 MiB at a time.
    static func writeRandomFile(_ path: String, size: Int, seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var left = size
        while left > 0 {
            let n = min(left, 8 << 20)
            try handle.write(contentsOf: random.bytes(n))
            left -= n
        }
    }

    static func mkdir(_ path: [UInt8], mode: mode_t = 0o755) throws {
        guard FileSystem.withCPath(path, { Glibc.mkdir($0, mode) }) == 0 else { throw VolumeError.system("mkdir", path: path, errno: errno) }
        _ = FileSystem.withCPath(path) { chmod($0, mode) }
    }

    static func setMtime(_ path: [UInt8], ns: Int64) {
        var times = [timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000)),
                     timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))]
        _ = FileSystem.withCPath(path) { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
    }

    /// Runs a command, returns (status, output).
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Every entry under `root` with the lstat fields a restore must keep,
    /// keyed by relative path; hard links as the set of paths sharing an inode.
    static func snapshotOfMetadata(_ root: String) throws -> (entries: [String: String], links: Set<[String]>) {
        var entries: [String: String] = [:]
        var inodes: [UInt64: [String]] = [:]
        func visit(_ relative: [UInt8]) throws {
            for name in try FileSystem.listDirectory(path(root, relative)) {
                let rel = FileSystem.join(relative, name)
                let st = try FileSystem.lstatus(path(root, rel))
                let key = ByteString.display(rel)
                var line = "\(st.nodeType!) mode=\(String(st.mode & 0o7777, radix: 8)) size=\(st.nodeType == .file ? st.size : 0)"
                line += " mtime=\(st.mtimeNs)"
                if st.nodeType == .symlink { line += " -> \(ByteString.display(try FileSystem.readLink(path(root, rel))))" }
                entries[key] = line
                if st.nodeType == .file, st.links > 1 { inodes[st.inode, default: []].append(key) }
                if st.nodeType == .directory { try visit(rel) }
            }
        }
        try visit([])
        return (entries, Set(inodes.values.map { $0.sorted() }))
    }
}
