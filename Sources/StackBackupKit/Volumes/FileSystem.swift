#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

// Linux file metadata on byte paths: lstat, readdir, readlink, owner names.
// Paths are `[UInt8]` throughout, because file names need not be UTF-8.

/// The fields of `lstat(2)` the archiver records.
struct FileStatus: Sendable {
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: Int64
    var mtimeNs: Int64
    var ctimeNs: Int64
    var inode: UInt64
    var device: UInt64
    var links: UInt64
    var rdev: UInt64

    var fileType: UInt32 { mode & UInt32(S_IFMT) }
    var nodeType: NodeType? {
        switch fileType {
        case UInt32(S_IFREG): .file
        case UInt32(S_IFDIR): .directory
        case UInt32(S_IFLNK): .symlink
        case UInt32(S_IFIFO): .fifo
        case UInt32(S_IFSOCK): .socket
        case UInt32(S_IFCHR): .charDevice
        case UInt32(S_IFBLK): .blockDevice
        default: nil
        }
    }

    init(_ st: stat) {
        mode = UInt32(st.st_mode)
        uid = UInt32(st.st_uid)
        gid = UInt32(st.st_gid)
        size = Int64(st.st_size)
        mtimeNs = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        ctimeNs = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        inode = UInt64(st.st_ino)
        device = UInt64(st.st_dev)
        links = UInt64(st.st_nlink)
        rdev = UInt64(st.st_rdev)
    }
}

enum FileSystem {
    /// Calls `body` with a NUL-terminated copy of `path`.
    static func withCPath<T>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
        var terminated = path
        terminated.append(0)
        return try terminated.withUnsafeBufferPointer { buffer in
            try buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { try body($0) }
        }
    }

    static func lstatus(_ path: [UInt8]) throws -> FileStatus {
        var st = stat()
        let rc = withCPath(path) { lstat($0, &st) }
        guard rc == 0 else { throw VolumeError.system("lstat", path: path, errno: errno) }
        return FileStatus(st)
    }

    /// `stat(2)`: follows a symlink (used for the root of a backup only).
    static func status(_ path: [UInt8]) throws -> FileStatus {
        var st = stat()
        let rc = withCPath(path) { stat($0, &st) }
        guard rc == 0 else { throw VolumeError.system("stat", path: path, errno: errno) }
        return FileStatus(st)
    }

    /// The names in a folder, without `.` and `..`, as bytes.
    static func listDirectory(_ path: [UInt8]) throws -> [[UInt8]] {
        guard let dir = withCPath(path, { opendir($0) }) else {
            throw VolumeError.system("opendir", path: path, errno: errno)
        }
        defer { closedir(dir) }
        return try readNames(dir, path: path)
    }

    /// Reads an open directory stream to its end: the names without `.` and `..`.
    static func readNames(_ dir: OpaquePointer, path: [UInt8]) throws -> [[UInt8]] {
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw VolumeError.system("readdir", path: path, errno: errno) }
                break
            }
            // d_name is a fixed-size C array inside the dirent: read it in place.
            let name: [UInt8] = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: UInt8.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) { p in
                    [UInt8](UnsafeBufferPointer(start: p, count: strlen(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))))
                }
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        return names
    }

    /// Owner (as root, when `owner`), mode and times (atime = mtime) through an open descriptor.
    static func setMetadata(fd: Int32, mode: UInt32, uid: UInt32, gid: UInt32, mtimeNs: Int64, owner: Bool, path: [UInt8]) throws {
        if owner, fchown(fd, uid_t(uid), gid_t(gid)) != 0 { throw VolumeError.system("fchown", path: path, errno: errno) }
        guard fchmod(fd, mode_t(mode & 0o7777)) == 0 else { throw VolumeError.system("fchmod", path: path, errno: errno) }
        var times = FileSystem.times(mtimeNs: mtimeNs)
        guard futimens(fd, &times) == 0 else { throw VolumeError.system("futimens", path: path, errno: errno) }
    }

    /// Access and modification time for `futimens`/`utimensat`, both the mtime.
    static func times(mtimeNs: Int64) -> [timespec] {
        let seconds = mtimeNs / 1_000_000_000, nanos = mtimeNs % 1_000_000_000
        let time = nanos < 0 ? timespec(tv_sec: Int(seconds - 1), tv_nsec: Int(nanos + 1_000_000_000))
                             : timespec(tv_sec: Int(seconds), tv_nsec: Int(nanos))
        return [time, time]
    }

    static func readLink(_ path: [UInt8]) throws -> [UInt8] {
        var capacity = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let n = withCPath(path) { cpath in
                buffer.withUnsafeMutableBufferPointer { b in
                    b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: capacity) { readlink(cpath, $0, capacity) }
                }
            }
            guard n >= 0 else { throw VolumeError.system("readlink", path: path, errno: errno) }
            if n < capacity { return Array(buffer[0..<n]) }
            capacity *= 2
        }
    }

    static func join(_ parent: [UInt8], _ name: [UInt8]) -> [UInt8] {
        if parent.isEmpty { return name }
        if parent.last == 0x2F { return parent + name }
        return parent + [0x2F] + name
    }

    static var isRoot: Bool { geteuid() == 0 }
}

/// Caches uid/gid → name lookups (getpwuid_r/getgrgid_r are slow and not free).
final class OwnerNames: @unchecked Sendable {
    private let lock = NSLock()
    private var users: [UInt32: String?] = [:]
    private var groups: [UInt32: String?] = [:]

    func userName(_ uid: UInt32) -> String? {
        if let cached = lock.withLock({ users[uid] }) { return cached }
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let rc = getpwuid_r(uid_t(uid), &pwd, &buffer, buffer.count, &result)
        let name: String? = (rc == 0 && result != nil) ? String(cString: pwd.pw_name) : nil
        lock.withLock { users[uid] = .some(name) }
        return name
    }

    func groupName(_ gid: UInt32) -> String? {
        if let cached = lock.withLock({ groups[gid] }) { return cached }
        var grp = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let rc = getgrgid_r(gid_t(gid), &grp, &buffer, buffer.count, &result)
        let name: String? = (rc == 0 && result != nil) ? String(cString: grp.gr_name) : nil
        lock.withLock { groups[gid] = .some(name) }
        return name
    }
}
