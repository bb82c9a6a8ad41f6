#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes entries under the restore target and sets their metadata.
/// `writeFile` is called from several threads; the rest from one.
final class RestoreWriter: @unchecked Sendable {
    let store: BlobLoader
    let target: [UInt8]
    let overwrite: Bool
    let progress: ((BackupProgress) -> Void)?
    let asRoot = FileSystem.isRoot

    private let lock = NSLock()
    private var state = RestoreResult()
    private var progressState: BackupProgress

    init(store: BlobLoader, target: [UInt8], overwrite: Bool, bytesTotal: Int64, progress: ((BackupProgress) -> Void)?) {
        self.store = store
        self.target = target
        self.overwrite = overwrite
        self.progress = progress
        progressState = BackupProgress(bytesTotal: bytesTotal)
    }

    var result: RestoreResult { lock.withLock { state } }

    private func fail(_ path: [UInt8], _ message: String) {
        lock.withLock { state.errors.append((ByteString.display(path), message)) }
    }

    private func full(_ path: [UInt8]) -> [UInt8] { FileSystem.join(target, path) }

    // MARK: Entries

    func makeDirectory(_ path: [UInt8]) {
        let dest = full(path)
        if FileSystem.withCPath(dest, { mkdir($0, 0o700) }) == 0 { return }
        let code = errno
        if code == EEXIST, let status = try? FileSystem.lstatus(dest) {
            if status.nodeType == .directory { return }
            if overwrite, removeExisting(dest), FileSystem.withCPath(dest, { mkdir($0, 0o700) }) == 0 { return }
        }
        fail(path, VolumeError.system("mkdir", path: dest, errno: code).description)
    }

    /// Writes one file's content, blob by blob, verified by the loader. On
    /// any failure the partial file is removed and the failure recorded.
    func writeFile(_ entry: RestorePlan.Entry) {
        let dest = full(entry.path)
        if overwrite { _ = removeExisting(dest) }
        let fd = FileSystem.withCPath(dest) { open($0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard fd >= 0 else {
            fail(entry.path, VolumeError.system("open", path: dest, errno: errno).description)
            return
        }
        var written: Int64 = 0
        do {
            for id in entry.node.content ?? [] {
                let bytes = try store.loadBlob(.data, id: id)
                try writeAll(fd, bytes, path: dest)
                written += Int64(bytes.count)
                report(files: 0, bytes: bytes.count, path: entry.path)
            }
            guard written == entry.node.size else {
                throw IntegrityError(object: ByteString.display(entry.path), problem: "restored \(written) bytes, the snapshot records \(entry.node.size)")
            }
            try setMetadata(fd: fd, entry.node, path: dest)
            close(fd)
        } catch {
            close(fd)
            _ = FileSystem.withCPath(dest) { unlink($0) }
            fail(entry.path, "\(error)")
            return
        }
        lock.withLock {
            state.files += 1
            state.bytes += written
        }
        report(files: 1, bytes: 0, path: entry.path)
    }

    /// A second name of an inode restored earlier; falls back to a copy.
    func link(_ entry: RestorePlan.Entry, to first: [UInt8]) {
        let dest = full(entry.path)
        if overwrite { _ = removeExisting(dest) }
        let rc = FileSystem.withCPath(full(first)) { from in FileSystem.withCPath(dest) { Glibc.link(from, $0) } }
        if rc == 0 {
            lock.withLock { state.files += 1 }
        } else {
            writeFile(entry)
        }
    }

    /// Symlinks (dangling ones too), FIFOs and, as root, devices.
    func makeSpecial(_ entry: RestorePlan.Entry) {
        let dest = full(entry.path)
        if overwrite { _ = removeExisting(dest) }
        let node = entry.node
        let rc: Int32
        switch node.type {
        case .symlink:
            rc = FileSystem.withCPath(node.linkTarget ?? []) { to in FileSystem.withCPath(dest) { symlink(to, $0) } }
        case .fifo:
            rc = FileSystem.withCPath(dest) { mkfifo($0, mode_t(node.mode & 0o7777)) }
        case .charDevice, .blockDevice:
            guard asRoot else {
                fail(entry.path, "device files are restored only when running as root; skipped")
                return
            }
            let kind = node.type == .charDevice ? S_IFCHR : S_IFBLK
            rc = FileSystem.withCPath(dest) { mknod($0, mode_t(kind) | mode_t(node.mode & 0o7777), dev_t(node.rdev ?? 0)) }
        case .socket:
            return  // a socket is recreated by its server, not restored
        case .file, .directory:
            return
        }
        guard rc == 0 else {
            fail(entry.path, VolumeError.system("create", path: dest, errno: errno).description)
            return
        }
        applyMetadata(entry.path, node, isSymlink: node.type == .symlink)
    }

    // MARK: Metadata

    private func setMetadata(fd: Int32, _ node: Node, path: [UInt8]) throws {
        if asRoot, fchown(fd, uid_t(node.uid), gid_t(node.gid)) != 0 {
            throw VolumeError.system("fchown", path: path, errno: errno)
        }
        guard fchmod(fd, mode_t(node.mode & 0o7777)) == 0 else { throw VolumeError.system("fchmod", path: path, errno: errno) }
        var times = RestoreWriter.times(node)
        guard futimens(fd, &times) == 0 else { throw VolumeError.system("futimens", path: path, errno: errno) }
    }

    /// Owner (as root), mode (not for symlinks) and times of a path; the atime is set to the mtime.
    func applyMetadata(_ path: [UInt8], _ node: Node, isSymlink: Bool) {
        let dest = full(path)
        FileSystem.withCPath(dest) { cpath in
            if asRoot, lchown(cpath, uid_t(node.uid), gid_t(node.gid)) != 0 {
                fail(path, VolumeError.system("lchown", path: dest, errno: errno).description)
            }
            if !isSymlink, chmod(cpath, mode_t(node.mode & 0o7777)) != 0 {
                fail(path, VolumeError.system("chmod", path: dest, errno: errno).description)
            }
            var times = RestoreWriter.times(node)
            if utimensat(AT_FDCWD, cpath, &times, AT_SYMLINK_NOFOLLOW) != 0 {
                fail(path, VolumeError.system("utimensat", path: dest, errno: errno).description)
            }
        }
    }

    private static func times(_ node: Node) -> [timespec] {
        let seconds = node.mtimeNs / 1_000_000_000, nanos = node.mtimeNs % 1_000_000_000
        let time = nanos < 0 ? timespec(tv_sec: Int(seconds - 1), tv_nsec: Int(nanos + 1_000_000_000))
                             : timespec(tv_sec: Int(seconds), tv_nsec: Int(nanos))
        return [time, time]
    }

    // MARK: Helpers

    private func writeAll(_ fd: Int32, _ bytes: [UInt8], path: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw VolumeError.system("write", path: path, errno: errno)
                }
                offset += n
            }
        }
    }

    /// Removes whatever is at `path` (a file, link, or a whole folder) for `overwrite`.
    private func removeExisting(_ path: [UInt8]) -> Bool {
        guard let status = try? FileSystem.lstatus(path) else { return true }
        if status.nodeType == .directory {
            return (try? FileManager.default.removeItem(atPath: String(decoding: path, as: UTF8.self))) != nil
        }
        return FileSystem.withCPath(path) { unlink($0) } == 0
    }

    private func report(files: Int, bytes: Int, path: [UInt8]) {
        guard let progress else { return }
        lock.withLock {
            progressState.filesDone += files
            progressState.bytesDone += Int64(bytes)
            progressState.currentPath = ByteString.display(path)
            progress(progressState)
        }
    }
}
