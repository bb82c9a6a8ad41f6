import Foundation
import StackBackupTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A folder chain thousands of levels deep, built, compared and removed through
/// directory descriptors (one level at a time, two descriptors at most), since
/// its paths are far beyond PATH_MAX and a recursive walk would be as deep.
/// Level i holds the next level (`name`) and, every `fileEvery` levels and at
/// the bottom, a file `f` with its level number; each folder gets an mtime of
/// its own and the one above the bottom mode 0700.
struct DeepChain {
    let depth: Int
    let name: [UInt8]
    var fileEvery = 500

    static func cName(_ bytes: [UInt8]) -> [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }

    static func check(_ ok: Bool, _ what: String) throws {
        if !ok { throw ShimFailure(description: "\(what): \(String(cString: strerror(errno)))") }
    }

    /// Creates the chain inside the existing folder `root`.
    func create(in root: String) throws {
        var fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try Self.check(fd >= 0, "open \(root)")
        for level in 1...depth {
            try Self.check(mkdirat(fd, Self.cName(name), level == depth - 1 ? 0o700 : 0o755) == 0, "mkdirat level \(level)")
            let next = openat(fd, Self.cName(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            try Self.check(next >= 0, "openat level \(level)")
            close(fd)
            fd = next
            if level % fileEvery == 0 || level == depth {
                let file = openat(fd, "f", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
                try Self.check(file >= 0, "create f at level \(level)")
                let text = Array("level \(level)\n".utf8)
                try Self.check(write(file, text, text.count) == text.count, "write f")
                close(file)
            }
            var times = [timespec(tv_sec: 1_400_000_000 + level, tv_nsec: 0), timespec(tv_sec: 1_400_000_000 + level, tv_nsec: 0)]
            try Self.check(futimens(fd, &times) == 0, "futimens level \(level)")
        }
        close(fd)
    }

    /// Replaces the content of the bottom level's file `f`.
    func rewriteBottomFile(in root: String, _ text: String) throws {
        var fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try Self.check(fd >= 0, "open \(root)")
        for level in 1...depth {
            let next = openat(fd, Self.cName(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            try Self.check(next >= 0, "openat level \(level)")
            close(fd)
            fd = next
        }
        defer { close(fd) }
        let file = openat(fd, "f", O_WRONLY | O_TRUNC | O_CLOEXEC)
        try Self.check(file >= 0, "open f")
        defer { close(file) }
        let bytes = Array(text.utf8)
        try Self.check(write(file, bytes, bytes.count) == bytes.count, "write f")
    }

    /// Nil when the trees below `a` and `b` match (names, types, modes, sizes,
    /// mtimes and file contents, level by level), else the first difference.
    static func difference(_ a: String, _ b: String) throws -> String? {
        var fa = open(a, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fb = open(b, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try check(fa >= 0 && fb >= 0, "open \(a), \(b)")
        defer { close(fa); close(fb) }
        var level = 0
        while true {
            let na = try names(fa), nb = try names(fb)
            guard na == nb else { return "level \(level): \(na.map { String(decoding: $0, as: UTF8.self) }) vs \(nb.map { String(decoding: $0, as: UTF8.self) })" }
            var sub: [UInt8]?
            for entry in na {
                var sa = stat(), sb = stat()
                try check(fstatat(fa, cName(entry), &sa, AT_SYMLINK_NOFOLLOW) == 0 && fstatat(fb, cName(entry), &sb, AT_SYMLINK_NOFOLLOW) == 0, "fstatat")
                let what = "level \(level) entry \(String(decoding: entry.prefix(20), as: UTF8.self))"
                guard sa.st_mode == sb.st_mode else { return "\(what): mode \(String(sa.st_mode, radix: 8)) vs \(String(sb.st_mode, radix: 8))" }
                guard sa.st_mtim.tv_sec == sb.st_mtim.tv_sec && sa.st_mtim.tv_nsec == sb.st_mtim.tv_nsec else { return "\(what): mtime differs" }
                if (sa.st_mode & S_IFMT) == S_IFDIR {
                    sub = entry
                } else {
                    guard try contents(fa, entry) == contents(fb, entry) else { return "\(what): content differs" }
                }
            }
            guard let sub else { return nil }
            let da = openat(fa, cName(sub), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let db = openat(fb, cName(sub), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            try check(da >= 0 && db >= 0, "openat level \(level + 1)")
            close(fa)
            close(fb)
            (fa, fb) = (da, db)
            level += 1
        }
    }

    /// Levels of folders below `root` (following the one sub-folder of each).
    static func levels(_ root: String) throws -> Int {
        var fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(fd) }
        var count = 0
        while true {
            guard let sub = try names(fd).first(where: { name in
                var st = stat()
                return fstatat(fd, cName(name), &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            }) else { return count }
            let next = openat(fd, cName(sub), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            try check(next >= 0, "openat")
            close(fd)
            fd = next
            count += 1
        }
    }

    /// Removes a chain below `root` in O(depth): the second level is moved up
    /// in place of the first until none is left (TemporaryDirectory's
    /// FileManager removal cannot reach paths this long).
    static func remove(below root: String, name: [UInt8]) throws {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try check(fd >= 0, "open \(root)")
        defer { close(fd) }
        let top = cName(name), spare = cName(Array("spare".utf8))
        while true {
            var st = stat()
            guard fstatat(fd, top, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
            _ = fchmodat(fd, top, 0o700, 0)
            let level = openat(fd, top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            try check(level >= 0, "openat")
            var hasNext = false
            for entry in try names(level) {
                var es = stat()
                if fstatat(level, cName(entry), &es, AT_SYMLINK_NOFOLLOW) == 0 && (es.st_mode & S_IFMT) == S_IFDIR && entry == name {
                    hasNext = true
                } else {
                    _ = unlinkat(level, cName(entry), (es.st_mode & S_IFMT) == S_IFDIR ? AT_REMOVEDIR : 0)
                }
            }
            if hasNext { try check(renameat(level, top, fd, spare) == 0, "renameat") }
            close(level)
            try check(unlinkat(fd, top, AT_REMOVEDIR) == 0, "rmdir")
            if hasNext { try check(renameat(fd, spare, fd, top) == 0, "renameat back") }
            if !hasNext { return }
        }
    }

    static func names(_ fd: Int32) throws -> [[UInt8]] {
        let copy = dup(fd)
        guard let dir = fdopendir(copy) else { throw ShimFailure(description: "fdopendir failed") }
        defer { closedir(dir) }
        rewinddir(dir)
        var out: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [46] && name != [46, 46] { out.append(name) }
        }
        return out.sorted { $0.lexicographicallyPrecedes($1) }
    }

    static func contents(_ fd: Int32, _ name: [UInt8]) throws -> [UInt8] {
        let file = openat(fd, cName(name), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        try check(file >= 0, "open file")
        defer { close(file) }
        var out: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(file, &buffer, buffer.count)
            try check(n >= 0, "read")
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }
}
