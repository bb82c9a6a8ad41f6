#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
internal import SystemPackage

/// Writes entries under the restore target and sets their metadata. Every
/// entry is created by name in its folder's descriptor (`RestoreDirectories`),
/// never through a joined path, and no call follows a symlink found in the
/// target. `writeFile` is called from several threads; the rest from one.
final class RestoreWriter: @unchecked Sendable {
    let store: BlobLoader
    let directories: RestoreDirectories
    let overwrite: Bool
    let progress: ((BackupProgress) -> Void)?
    let asRoot = FileSystem.isRoot

    private let lock = NSLock()
    private var state = RestoreResult()
    private var progressState: BackupProgress

    init(store: BlobLoader, directories: RestoreDirectories, overwrite: Bool, bytesTotal: Int64, progress: ((BackupProgress) -> Void)?) {
        self.store = store
        self.directories = directories
        self.overwrite = overwrite
        self.progress = progress
        progressState = BackupProgress(bytesTotal: bytesTotal)
    }

    var result: RestoreResult { lock.withLock { state } }

    private func fail(_ path: [UInt8], _ message: String) {
        lock.withLock { state.errors.append((ByteString.display(path), message)) }
    }

    private func fail(_ path: [UInt8], _ error: Error) { fail(path, "\(error)") }

    // MARK: Entries

    /// Creates folder `index` of the plan (owner-only until its metadata is set).
    func makeDirectory(_ directory: RestorePlan.Directory, index: Int) {
        do {
            let parent = try directories.handle(directory.parent)
            let name = directory.node.name
            var code = parent.makeDirectory(name, mode: 0o700)
            if code == EEXIST {
                let status = try parent.status(of: name)
                if status.nodeType == .directory { return }
                if overwrite {
                    try parent.removeTree(name)
                    code = parent.makeDirectory(name, mode: 0o700)
                }
            }
            if code != 0 { throw VolumeError.system("mkdir", path: parent.display(name), errno: code) }
        } catch {
            fail(directory.path, error)
        }
    }

    /// Writes one file's content, blob by blob, verified by the loader. On
    /// any failure the partial file is removed and the failure recorded.
    func writeFile(_ entry: RestorePlan.Entry) {
        let parent: DirectoryHandle
        let fd: Int32
        do {
            parent = try directories.handle(entry.parent)
            if overwrite { try removeExisting(entry.name, in: parent) }
            fd = try parent.openFile(entry.name, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        } catch {
            fail(entry.path, error)
            return
        }
        let display = parent.display(entry.name)
        var written: Int64 = 0
        do {
            for id in entry.node.content ?? [] {
                let bytes = try store.loadBlob(.data, id: id)
                try writeAll(fd, bytes, path: display)
                written += Int64(bytes.count)
                report(files: 0, bytes: bytes.count, path: entry.path)
            }
            guard written == entry.node.size else {
                throw IntegrityError(object: ByteString.display(entry.path), problem: "restored \(written) bytes, the snapshot records \(entry.node.size)")
            }
            let node = entry.node
            try FileSystem.setMetadata(fd: fd, mode: node.mode, uid: node.uid, gid: node.gid, mtimeNs: node.mtimeNs,
                                       owner: asRoot, path: display)
            close(fd)
        } catch {
            close(fd)
            try? parent.remove(entry.name)
            fail(entry.path, error)
            return
        }
        lock.withLock {
            state.files += 1
            state.bytes += written
        }
        report(files: 1, bytes: 0, path: entry.path)
    }

    /// A second name of an inode restored earlier; falls back to a copy.
    func link(_ entry: RestorePlan.Entry, to first: RestorePlan.Entry) {
        do {
            let parent = try directories.handle(entry.parent)
            if overwrite { try removeExisting(entry.name, in: parent) }
            try parent.makeLink(entry.name, to: first.name, in: try directories.handle(first.parent))
            lock.withLock { state.files += 1 }
        } catch {
            writeFile(entry)
        }
    }

    /// Symlinks (dangling ones too), FIFOs and, as root, devices.
    func makeSpecial(_ entry: RestorePlan.Entry) {
        let node = entry.node
        do {
            let parent = try directories.handle(entry.parent)
            switch node.type {
            case .charDevice, .blockDevice:
                guard asRoot else {
                    fail(entry.path, "device files are restored only when running as root; skipped")
                    return
                }
            case .socket, .file, .directory:
                return  // a socket is recreated by its server, not restored
            case .symlink, .fifo:
                break
            }
            if overwrite { try removeExisting(entry.name, in: parent) }
            switch node.type {
            case .symlink:
                try parent.makeSymlink(entry.name, to: node.linkTarget ?? [])
                try parent.setLinkMetadata(entry.name, uid: node.uid, gid: node.gid, mtimeNs: node.mtimeNs, owner: asRoot)
                return
            case .fifo:
                try parent.makeNode(entry.name, mode: mode_t(S_IFIFO) | mode_t(node.mode & 0o7777), device: 0)
            default:
                let kind = node.type == .charDevice ? S_IFCHR : S_IFBLK
                try parent.makeNode(entry.name, mode: mode_t(kind) | mode_t(node.mode & 0o7777), device: dev_t(node.rdev ?? 0))
            }
            // mknodat applied the umask; AT_SYMLINK_NOFOLLOW (glibc ≥ 2.32) so a swapped-in link is not followed.
            if parent.at(entry.name, { fchmodat(parent.fd, $0, mode_t(node.mode & 0o7777), AT_SYMLINK_NOFOLLOW) }) != 0 {
                throw VolumeError.system("chmod", path: parent.display(entry.name), errno: errno)
            }
            try parent.setLinkMetadata(entry.name, uid: node.uid, gid: node.gid, mtimeNs: node.mtimeNs, owner: asRoot)
        } catch {
            fail(entry.path, error)
        }
    }

    // MARK: Metadata

    /// Owner (as root), mode and times of a folder, through its own descriptor.
    func applyMetadata(_ directory: RestorePlan.Directory, handle: DirectoryHandle) {
        let node = directory.node
        do {
            try handle.setMetadata(mode: node.mode, uid: node.uid, gid: node.gid, mtimeNs: node.mtimeNs, owner: asRoot)
        } catch {
            fail(directory.path, error)
        }
    }

    func fail(_ directory: RestorePlan.Directory, _ error: Error) { fail(directory.path, error) }

    /// The snapshot root's metadata on the target folder itself.
    func applyRootMetadata(_ root: FolderMetadata) {
        do {
            try directories.target.setMetadata(mode: root.mode, uid: root.uid, gid: root.gid, mtimeNs: root.mtimeNs, owner: asRoot)
        } catch {
            fail([], error)
        }
    }

    // MARK: Helpers

    private func writeAll(_ fd: Int32, _ bytes: [UInt8], path: [UInt8]) throws {
        do {
            // Retries EINTR and short writes.
            _ = try FileDescriptor(rawValue: fd).writeAll(bytes)
        } catch let error as Errno {
            throw VolumeError.system("write", path: path, errno: error.rawValue)
        }
    }

    /// Removes whatever is at `name` (a file, a link, or a whole folder) for `overwrite`.
    private func removeExisting(_ name: [UInt8], in parent: DirectoryHandle) throws {
        var st = stat()
        guard parent.at(name, { fstatat(parent.fd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else { return }
        try parent.removeTree(name)
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
