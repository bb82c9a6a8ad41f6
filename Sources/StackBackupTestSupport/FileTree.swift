import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Builds and inspects folders whose names are raw bytes (not always UTF-8),
/// for tests that round-trip real trees: `FileTree.capture` records every
/// entry's type, mode, size, mtime, link target and content digest with
/// `lstat`, so two captures compare equal exactly when the trees match.
public enum FileTree {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// One entry of a captured tree; `path` is relative, as bytes.
    public struct Entry: Equatable, Sendable, CustomStringConvertible {
        public var path: [UInt8]
        public var type: Character  // f, d, l, o(ther)
        public var mode: UInt32
        public var size: Int64
        public var mtimeNs: Int64
        public var linkTarget: [UInt8]?
        public var digest: String?

        public var description: String {
            let name = String(decoding: path, as: UTF8.self).debugDescription
            return "\(type) \(String(mode, radix: 8)) \(size) \(mtimeNs) \(name)\(linkTarget.map { " -> " + String(decoding: $0, as: UTF8.self) } ?? "") \(digest?.prefix(12) ?? "")"
        }
    }

    static func cPath(_ bytes: [UInt8]) -> [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }

    static func check(_ rc: Int32, _ what: String, _ path: [UInt8]) throws {
        if rc != 0 {
            throw Failure(description: "\(what) \(String(decoding: path, as: UTF8.self).debugDescription) failed: \(String(cString: strerror(errno)))")
        }
    }

    public static func join(_ base: String, _ name: [UInt8]) -> [UInt8] { Array(base.utf8) + [UInt8(ascii: "/")] + name }

    public static func mkdir(_ path: [UInt8], mode: mode_t = 0o755) throws {
        try check(Glibc.mkdir(cPath(path), mode), "mkdir", path)
    }

    public static func write(_ path: [UInt8], _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        let fd = Glibc.open(cPath(path), O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else { try check(-1, "open", path); return }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            guard n > 0 else { try check(-1, "write", path); return }
            done += n
        }
        try check(fchmod(fd, mode), "chmod", path)
    }

    public static func symlink(_ path: [UInt8], to target: [UInt8]) throws {
        try check(Glibc.symlink(cPath(target), cPath(path)), "symlink", path)
    }

    public static func link(_ path: [UInt8], to existing: [UInt8]) throws {
        try check(Glibc.link(cPath(existing), cPath(path)), "link", path)
    }

    public static func chmod(_ path: [UInt8], _ mode: mode_t) throws {
        try check(Glibc.chmod(cPath(path), mode), "chmod", path)
    }

    /// Sets the modification (and access) time without following a symlink.
    public static func setMtime(_ path: [UInt8], seconds: Int, nanoseconds: Int = 0) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        try check(utimensat(AT_FDCWD, cPath(path), &times, AT_SYMLINK_NOFOLLOW), "utimensat", path)
    }

    /// Every entry below `root` (not `root` itself), sorted by path bytes.
    public static func capture(_ root: String, contents: Bool = true) throws -> [Entry] {
        var entries: [Entry] = []
        try walk(Array(root.utf8), relative: [], into: &entries, contents: contents)
        return entries.sorted { $0.path.lexicographicallyPrecedes($1.path) }
    }

    private static func walk(_ dir: [UInt8], relative: [UInt8], into entries: inout [Entry], contents: Bool) throws {
        guard let handle = opendir(cPath(dir)) else { try check(-1, "opendir", dir); return }
        var names: [[UInt8]] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [46] || name == [46, 46] { continue }
            names.append(name)
        }
        closedir(handle)
        for name in names {
            let full = dir + [47] + name
            let rel = relative.isEmpty ? name : relative + [47] + name
            var st = stat()
            try check(lstat(cPath(full), &st), "lstat", full)
            let format = st.st_mode & S_IFMT
            var entry = Entry(path: rel, type: "o", mode: UInt32(st.st_mode & 0o7777), size: Int64(st.st_size),
                              mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
            switch format {
            case S_IFREG:
                entry.type = "f"
                if contents { entry.digest = try digest(full) }
            case S_IFDIR:
                entry.type = "d"
                entry.size = 0  // a folder's st_size depends on the file system's history
            case S_IFLNK:
                entry.type = "l"
                entry.mode = 0  // symlink modes are not meaningful on Linux
                var buffer = [CChar](repeating: 0, count: 4096)
                let n = readlink(cPath(full), &buffer, buffer.count)
                entry.linkTarget = n >= 0 ? buffer.prefix(n).map { UInt8(bitPattern: $0) } : nil
            default:
                break
            }
            entries.append(entry)
            if format == S_IFDIR { try walk(full, relative: rel, into: &entries, contents: contents) }
        }
    }

    /// A cheap content digest (FNV-1a over 64-bit words plus the length): enough to tell files apart in tests.
    static func digest(_ path: [UInt8]) throws -> String {
        let fd = Glibc.open(cPath(path), O_RDONLY)
        guard fd >= 0 else { try check(-1, "open", path); return "" }
        defer { close(fd) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            guard n > 0 else { break }
            buffer.withUnsafeBytes { raw in
                var i = 0
                while i + 8 <= n {
                    hash = (hash ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01b3
                    i += 8
                }
                while i < n {
                    hash = (hash ^ UInt64(raw[i])) &* 0x100_0000_01b3
                    i += 1
                }
            }
            total += n
        }
        return String(hash, radix: 16) + ":" + String(total)
    }

    /// Writes `count` bytes of seeded pseudo-random data in 4 MiB pieces (bounded memory).
    /// Creates missing parent folders.
    public static func writeRandom(_ path: String, count: Int, seed: UInt64) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw Failure(description: "cannot create \(path)")
        }
        defer { try? handle.close() }
        var random = SeededRandom(seed: seed)
        var left = count
        while left > 0 {
            let piece = min(left, 4 << 20)
            handle.write(Data(random.bytes(piece)))
            left -= piece
        }
    }

    /// Flips the bits of one byte of a file in place.
    public static func flipByte(_ path: String, at offset: Int) throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw Failure(description: "cannot open \(path)") }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        guard let byte = try handle.read(upToCount: 1)?.first else { throw Failure(description: "\(path) is shorter than \(offset + 1) bytes") }
        try handle.seek(toOffset: UInt64(offset))
        handle.write(Data([byte ^ 0xFF]))
    }
}
