import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps two `stackbackup run` processes on one machine apart (a timer firing
/// while a manual run is going). An flock(2) on a file beside the status file:
/// the kernel releases it when the process dies, so it is never stale. A run
/// that ends (also when stopped by a signal) removes the file; a process
/// that locked a file just removed that way sees it is gone and locks the new one.
public final class RunLock {
    private var fd: Int32
    public let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    public static func acquire(statusFile: String?, wait: TimeInterval) throws -> RunLock {
        let folder = statusFile.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? NSTemporaryDirectory()
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = URL(fileURLWithPath: folder).appendingPathComponent(".stackbackup-run.lock").path
        let deadline = Date().addingTimeInterval(wait)
        var fd: Int32
        while true {
            fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw RepositoryError(.other, "cannot open the run lock \(path): \(String(cString: strerror(errno)))")
            }
            while flock(fd, LOCK_EX | LOCK_NB) != 0 {
                guard errno == EWOULDBLOCK, Date() < deadline else {
                    let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                    close(fd)
                    throw RepositoryError(.locked, "another `stackbackup run` is in progress (\(holder.isEmpty ? "unknown" : holder)); waited \(Int(wait))s — try again later or raise --lock-wait")
                }
                usleep(200_000)
            }
            // The holder we waited for removed the file on release: our lock is on
            // an unlinked inode that a newcomer would not see; lock the path anew.
            if isStill(fd, at: path) { break }
            close(fd)
        }
        let line = "pid \(getpid()) on \(HostInfo.hostname) since \(Timestamp.format(Date()))\n"
        _ = ftruncate(fd, 0)
        _ = line.withCString { pwrite(fd, $0, strlen($0), 0) }
        return RunLock(fd: fd, path: path)
    }

    /// Removes the file while still holding it (so no one locks it in between), then unlocks.
    public func release() {
        guard fd >= 0 else { return }
        if isStill(fd, at: path) { unlink(path) }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}

/// True when `path` still names the file open as `fd` (same device and inode).
private func isStill(_ fd: Int32, at path: String) -> Bool {
    var open = stat(), named = stat()
    guard fstat(fd, &open) == 0, stat(path, &named) == 0 else { return false }
    return open.st_dev == named.st_dev && open.st_ino == named.st_ino
}
