import Foundation
#if canImport(Glibc)
import Glibc
#endif
internal import SystemPackage

/// A repository in a local folder. Files are written to a temporary name in
/// their folder, fsynced, renamed into place, then the folder is fsynced.
public final class LocalBackend: Backend, @unchecked Sendable {
    public let root: String

    public init(path: String) {
        self.root = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
    }

    public var location: String { root }

    /// Creates the repository folder, refusing one that holds anything.
    public func createEmptyRoot() throws {
        var path = ""
        for part in root.split(separator: "/", omittingEmptySubsequences: false) {
            path += (path.isEmpty && part.isEmpty) ? "/" : (path.hasSuffix("/") || path.isEmpty ? "" : "/") + part
            if !path.isEmpty && path != "/" { try makeDirectory(path) }
        }
        if !(try entries(of: root)).isEmpty {
            throw RepositoryError(.notEmpty, "\(root) is not empty; give an empty or new folder for the repository")
        }
    }

    public var createsRepositoryLayout: Bool { true }

    /// The folder, refused unless empty, and its layout.
    public func createRepositoryLayout() throws {
        try createEmptyRoot()
        try createLayout()
    }

    /// Creates the folder layout (including the 256 pack folders).
    public func createLayout() throws {
        for kind in FileKind.allCases where kind != .config {
            try makeDirectory(root + "/" + kind.rawValue)
        }
        for i in 0..<256 {
            try makeDirectory(root + "/data/" + String(i, radix: 16).leftPadded(to: 2))
        }
    }

    func path(_ handle: Handle) -> String { root + "/" + handle.relativePath }

    public func exists(_ handle: Handle) throws -> Bool {
        var st = stat()
        if stat(path(handle), &st) == 0 { return true }
        if errno == ENOENT || errno == ENOTDIR { return false }
        throw error(for: path(handle))
    }

    public func save(_ handle: Handle, _ bytes: [UInt8]) throws {
        let final = path(handle)
        let folder = (final as NSString).deletingLastPathComponent
        if handle.kind == .pack { try makeDirectory(folder) }
        let temp = folder + "/" + Self.temporaryPrefix + handle.name.prefix(16) + "-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw error(for: temp) }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        do {
            do {
                // Retries EINTR and short writes.
                _ = try FileDescriptor(rawValue: fd).writeAll(bytes)
            } catch let failure as Errno {
                throw error(for: temp, errno: failure.rawValue)
            }
            guard fsync(fd) == 0 else { throw error(for: temp) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw error(for: temp) }
        // link(2) instead of rename(2): it fails when the target exists, so an
        // existing file is never replaced, even by a racing writer.
        if link(temp, final) != 0 {
            if errno == EEXIST { throw BackendError(.alreadyExists, path: final, reason: "exists") }
            throw error(for: final)
        }
        unlink(temp)
        ok = true
        try syncDirectory(folder)
    }

    public func load(_ handle: Handle) throws -> [UInt8] {
        let p = path(handle)
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw error(for: p) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw error(for: p) }
        return try readFully(fd: fd, path: p, offset: 0, length: Int(st.st_size))
    }

    public func load(_ handle: Handle, offset: Int, length: Int) throws -> [UInt8] {
        let p = path(handle)
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw error(for: p) }
        defer { close(fd) }
        return try readFully(fd: fd, path: p, offset: offset, length: length)
    }

    public func size(_ handle: Handle) throws -> Int {
        var st = stat()
        guard stat(path(handle), &st) == 0 else { throw error(for: path(handle)) }
        return Int(st.st_size)
    }

    public func list(_ kind: FileKind) throws -> [(name: String, size: Int)] {
        switch kind {
        case .config:
            return try exists(Handle(.config, "config")) ? [("config", try size(Handle(.config, "config")))] : []
        case .pack:
            var out: [(String, Int)] = []
            for sub in try entries(of: root + "/data") where sub.count == 2 {
                out += try files(in: root + "/data/" + sub)
            }
            return out
        default:
            return try files(in: root + "/" + kind.rawValue)
        }
    }

    public func remove(_ handle: Handle) throws {
        let p = path(handle)
        guard unlink(p) == 0 else { throw error(for: p) }
        try syncDirectory((p as NSString).deletingLastPathComponent)
    }

    // MARK: - Temp files

    /// `save` writes `<folder>/.tmp-<name prefix>-<random>` and links it into
    /// place; a process killed before the link leaves it behind, whole or
    /// partial (a partial pack is just such a file). Listings skip it.
    public static let temporaryPrefix = ".tmp-"

    /// Every temp file in the repository's folders (root, keys, index,
    /// snapshots, locks, data/xx).
    public func temporaryFiles() throws -> [TemporaryFile] {
        var folders = [root] + FileKind.allCases.filter { $0 != .config && $0 != .pack }.map { root + "/" + $0.rawValue }
        folders += try entries(of: root + "/data").filter { $0.count == 2 }.map { root + "/data/" + $0 }
        var found: [TemporaryFile] = []
        for folder in folders {
            for name in try entries(of: folder) where name.hasPrefix(Self.temporaryPrefix) {
                var st = stat()
                guard lstat(folder + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                let modified = Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec) + TimeInterval(st.st_mtim.tv_nsec) / 1e9)
                found.append(TemporaryFile(path: folder + "/" + name, size: Int64(st.st_size), modified: modified))
            }
        }
        return found
    }

    /// Removes a temp file listed by `temporaryFiles()`; one already gone is not an error.
    public func removeTemporaryFile(_ file: TemporaryFile) throws {
        guard (file.path as NSString).lastPathComponent.hasPrefix(Self.temporaryPrefix), file.path.hasPrefix(root + "/") else {
            throw BackendError(.io, path: file.path, reason: "is not a temp file of \(root)")
        }
        if unlink(file.path) != 0 && errno != ENOENT { throw error(for: file.path) }
    }

    // MARK: - helpers

    private func files(in folder: String) throws -> [(name: String, size: Int)] {
        var out: [(String, Int)] = []
        for name in try entries(of: folder) where !name.hasPrefix(".") {
            var st = stat()
            if stat(folder + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
                out.append((name, Int(st.st_size)))
            }
        }
        return out
    }

    private func entries(of folder: String) throws -> [String] {
        guard let dir = opendir(folder) else {
            if errno == ENOENT { return [] }
            throw error(for: folder)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private func readFully(fd: Int32, path: String, offset: Int, length: Int) throws -> [UInt8] {
        guard offset >= 0, length >= 0 else {
            throw BackendError(.shortRead, path: path, reason: "invalid range \(offset)+\(length)")
        }
        var out = [UInt8](repeating: 0, count: length)
        var done = 0
        let file = FileDescriptor(rawValue: fd)
        try out.withUnsafeMutableBytes { buffer in
            while done < length {
                let n: Int
                do {
                    // pread; retries EINTR.
                    n = try file.read(fromAbsoluteOffset: Int64(offset + done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
                } catch let failure as Errno {
                    throw error(for: path, errno: failure.rawValue)
                }
                if n == 0 {
                    throw BackendError(.shortRead, path: path, reason: "wanted \(length) bytes at offset \(offset), got \(done)")
                }
                done += n
            }
        }
        return out
    }

    private func makeDirectory(_ folder: String) throws {
        if mkdir(folder, 0o700) != 0 && errno != EEXIST { throw error(for: folder) }
    }

    private func syncDirectory(_ folder: String) throws {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw error(for: folder) }
        defer { close(fd) }
        if fsync(fd) != 0 && errno != EINVAL { throw error(for: folder) }
    }

    private func error(for path: String, errno code: Int32 = errno) -> BackendError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOENT, ENOTDIR: return BackendError(.notFound, path: path, reason: reason)
        case EEXIST: return BackendError(.alreadyExists, path: path, reason: reason)
        case EACCES, EPERM, EROFS: return BackendError(.permissionDenied, path: path, reason: reason)
        default: return BackendError(.io, path: path, reason: reason)
        }
    }
}
