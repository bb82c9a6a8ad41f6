#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Raw Glibc rather than swift-system: names are bytes, and swift-system 1.8 has no
// fdopendir, mknodat, linkat or fchownat; the rest of Volumes already speaks Glibc.

/// One open folder: every entry below it is reached by name relative to its
/// descriptor (`*at` calls), never through a joined path string, and no call
/// follows a symlink that sits in the folder. A path of any length or depth
/// works, and a symlink planted where a folder was expected is refused
/// (`ELOOP`/`ENOTDIR`) instead of being walked through.
///
/// Owns its descriptor and closes it in `deinit`. Immutable, so it is shared
/// freely between threads (the walker and the workers reading its files).
/// `display` is the folder's path for error messages only.
final class DirectoryHandle: Sendable {
    let fd: Int32
    let display: [UInt8]
    private let budget: DescriptorBudget?

    private init(fd: Int32, display: [UInt8], budget: DescriptorBudget?) {
        self.fd = fd
        self.display = display
        self.budget = budget
        budget?.opened()
    }

    deinit {
        close(fd)
        budget?.closed()
    }

    static let directoryFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC

    /// Opens the folder at `path` (relative to the working directory when not absolute).
    /// `followSymlink`: a backup root may be a symlink to a folder; a restore target may not.
    static func open(_ path: [UInt8], followSymlink: Bool, budget: DescriptorBudget? = nil) throws -> DirectoryHandle {
        let flags = directoryFlags | (followSymlink ? 0 : O_NOFOLLOW)
        let fd = FileSystem.withCPath(path) { Glibc.open($0, flags) }
        guard fd >= 0 else { throw VolumeError.system("open", path: path, errno: errno) }
        return DirectoryHandle(fd: fd, display: path, budget: budget)
    }

    /// The path of `name` in this folder, for messages.
    func display(_ name: [UInt8]) -> [UInt8] { FileSystem.join(display, name) }

    /// Opens the sub-folder `name`; a symlink there is refused, not followed.
    func openDirectory(_ name: [UInt8], budget: DescriptorBudget? = nil) throws -> DirectoryHandle {
        let fd = at(name) { openat(self.fd, $0, DirectoryHandle.directoryFlags | O_NOFOLLOW) }
        guard fd >= 0 else { throw VolumeError.system("open", path: display(name), errno: errno) }
        return DirectoryHandle(fd: fd, display: display(name), budget: budget)
    }

    /// This folder's parent through `..`, for a walk that closed an ancestor's
    /// descriptor; the caller checks it is still the folder it was (`FileStatus.sameFile`).
    func openParent(display parentDisplay: [UInt8], budget: DescriptorBudget?) throws -> DirectoryHandle {
        let fd = openat(self.fd, "..", DirectoryHandle.directoryFlags | O_NOFOLLOW)
        guard fd >= 0 else { throw VolumeError.system("open", path: parentDisplay, errno: errno) }
        return DirectoryHandle(fd: fd, display: parentDisplay, budget: budget)
    }

    // MARK: Reading

    /// `fstat` of the folder itself.
    func status() throws -> FileStatus {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw VolumeError.system("fstat", path: display, errno: errno) }
        return FileStatus(st)
    }

    /// `fstatat(AT_SYMLINK_NOFOLLOW)`: a symlink's own status.
    func status(of name: [UInt8]) throws -> FileStatus {
        var st = stat()
        let rc = at(name) { fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) }
        guard rc == 0 else { throw VolumeError.system("lstat", path: display(name), errno: errno) }
        return FileStatus(st)
    }

    /// The names in the folder, without `.` and `..`, as bytes. Reads through
    /// a duplicate descriptor, which `closedir` closes, so `fd` stays open.
    func list() throws -> [[UInt8]] {
        let copy = dup(fd)
        guard copy >= 0 else { throw VolumeError.system("dup", path: display, errno: errno) }
        guard let dir = fdopendir(copy) else {
            let code = errno
            close(copy)
            throw VolumeError.system("opendir", path: display, errno: code)
        }
        defer { closedir(dir) }
        rewinddir(dir)  // the duplicate shares the offset of any earlier listing
        return try FileSystem.readNames(dir, path: display)
    }

    /// `readlinkat`: a symlink's target, as bytes.
    func readLink(_ name: [UInt8]) throws -> [UInt8] {
        var capacity = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let n = at(name) { cname in
                buffer.withUnsafeMutableBufferPointer { b in
                    b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: capacity) { readlinkat(fd, cname, $0, capacity) }
                }
            }
            guard n >= 0 else { throw VolumeError.system("readlink", path: display(name), errno: errno) }
            if n < capacity { return Array(buffer[0..<n]) }
            capacity *= 2
        }
    }

    /// Opens the file `name` with `flags | O_NOFOLLOW | O_CLOEXEC`; returns the raw
    /// descriptor, which the caller closes. Errors name the call `open`.
    func openFile(_ name: [UInt8], flags: Int32, mode: mode_t = 0) throws -> Int32 {
        let fd = openFileRaw(name, flags: flags, mode: mode)
        guard fd >= 0 else { throw VolumeError.system("open", path: display(name), errno: errno) }
        return fd
    }

    /// `openFile` without throwing: -1 and `errno` on failure (for a caller that retries with other flags).
    func openFileRaw(_ name: [UInt8], flags: Int32, mode: mode_t = 0) -> Int32 {
        at(name) { openat(fd, $0, flags | O_NOFOLLOW | O_CLOEXEC, mode) }
    }

    // MARK: Writing

    /// `mkdirat`; returns `errno` (0 on success) so the caller can handle `EEXIST`.
    func makeDirectory(_ name: [UInt8], mode: mode_t) -> Int32 {
        at(name) { mkdirat(fd, $0, mode) } == 0 ? 0 : errno
    }

    /// `symlinkat`: creates `name` pointing at `target` (which is not resolved).
    func makeSymlink(_ name: [UInt8], to target: [UInt8]) throws {
        let rc = FileSystem.withCPath(target) { to in at(name) { symlinkat(to, fd, $0) } }
        guard rc == 0 else { throw VolumeError.system("symlink", path: display(name), errno: errno) }
    }

    /// `linkat` without `AT_SYMLINK_FOLLOW`: `name` here becomes another name of `existing` in `folder`.
    func makeLink(_ name: [UInt8], to existing: [UInt8], in folder: DirectoryHandle) throws {
        let rc = FileSystem.withCPath(existing) { from in at(name) { linkat(folder.fd, from, fd, $0, 0) } }
        guard rc == 0 else { throw VolumeError.system("link", path: display(name), errno: errno) }
    }

    /// `mknodat`: a FIFO, or (as root) a device; `mode` includes the file type bits.
    func makeNode(_ name: [UInt8], mode: mode_t, device: dev_t) throws {
        let rc = at(name) { mknodat(fd, $0, mode, device) }
        guard rc == 0 else { throw VolumeError.system("mknod", path: display(name), errno: errno) }
    }

    /// Removes `name` (anything but a folder).
    func remove(_ name: [UInt8]) throws {
        guard at(name, { unlinkat(fd, $0, 0) }) == 0 else { throw VolumeError.system("unlink", path: display(name), errno: errno) }
    }

    /// Removes `name` whatever it is; a folder with everything in it. Never
    /// follows a symlink: one inside is removed as a link, what it points to stays.
    /// Iterative, holding at most `DirectoryChain.window` descriptors, so depth is no limit.
    func removeTree(_ name: [UInt8]) throws {
        let status = try status(of: name)
        guard status.nodeType == .directory else { return try remove(name) }
        var chain = DirectoryChain(root: self, status: try self.status())
        try chain.push(name: name)
        while let current = chain.depth > 0 ? try chain.top() : nil {
            var descended = false
            for child in try current.list() {
                // Owner-only folders we may not list are made listable: we are deleting them anyway.
                let childStatus = try current.status(of: child)
                if childStatus.nodeType == .directory {
                    if childStatus.mode & 0o700 != 0o700 {
                        // We are deleting it anyway: make it listable (it is a folder, checked just above).
                        _ = current.at(child) { fchmodat(current.fd, $0, 0o700, 0) }
                    }
                    try chain.push(name: child)
                    descended = true
                    break
                }
                try current.remove(child)
            }
            if descended { continue }
            let emptied = chain.topName
            try chain.pop()
            let parent = try chain.top()
            guard parent.at(emptied, { unlinkat(parent.fd, $0, AT_REMOVEDIR) }) == 0 else {
                throw VolumeError.system("rmdir", path: parent.display(emptied), errno: errno)
            }
        }
    }

    // MARK: Metadata

    /// Owner (as root), mode and times of the folder itself, through its descriptor.
    func setMetadata(mode: UInt32, uid: UInt32, gid: UInt32, mtimeNs: Int64, owner: Bool) throws {
        try FileSystem.setMetadata(fd: fd, mode: mode, uid: uid, gid: gid, mtimeNs: mtimeNs, owner: owner, path: display)
    }

    /// Owner (as root) and times of a symlink `name`, without following it.
    func setLinkMetadata(_ name: [UInt8], uid: UInt32, gid: UInt32, mtimeNs: Int64, owner: Bool) throws {
        if owner, at(name, { fchownat(fd, $0, uid_t(uid), gid_t(gid), AT_SYMLINK_NOFOLLOW) }) != 0 {
            throw VolumeError.system("lchown", path: display(name), errno: errno)
        }
        var times = FileSystem.times(mtimeNs: mtimeNs)
        guard at(name, { utimensat(fd, $0, &times, AT_SYMLINK_NOFOLLOW) }) == 0 else {
            throw VolumeError.system("utimensat", path: display(name), errno: errno)
        }
    }

    /// Calls `body` with `name` as a C string; `name` is one path component (checked by the caller's tree).
    func at<T>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
        try FileSystem.withCPath(name, body)
    }
}
