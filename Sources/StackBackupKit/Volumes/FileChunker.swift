#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import SystemPackage

/// The result of chunking one file into the store.
struct ChunkedFile {
    /// Whether the stored content is what the file held at one moment.
    enum Consistency {
        /// fstat showed no change across the read.
        case stable
        /// The first read saw a change; the second, stored, did not.
        case stableOnReread
        /// Both reads saw a change: stored as the second read got it.
        case changing
    }

    var content: [ObjectID] = []
    /// Length of the stored content.
    var bytesRead: Int64 = 0
    var bytesAdded: Int64 = 0
    var blobsAdded = 0
    /// Bytes of a first read thrown away because the file changed during it
    /// (its blobs stay in the repository as garbage for prune).
    var bytesDiscarded: Int64 = 0
    var consistency = Consistency.stable
    /// fstat of the open file after the stored read.
    var status: FileStatus?
}

/// Reads one file at a time in 8 MiB reads into a reusable buffer, cuts it
/// with FastCDC and saves each chunk as a `data` blob. One per worker thread:
/// memory is the buffer (read size + the largest pending chunk), never the file.
final class FileChunker {
    static let readSize = 8 << 20
    /// Linux `O_NOATIME` (not exported by Glibc's Swift overlay): reading leaves atime alone.
    static let noAccessTime: Int32 = 0o1000000

    private var chunker: FastCDC
    private let store: BlobSaver
    private var buffer: UnsafeMutableRawBufferPointer

    init(store: BlobSaver, parameters: ChunkerParameters, gear: GearTable) {
        self.store = store
        chunker = FastCDC(parameters: parameters, gear: gear)
        buffer = .allocate(byteCount: 2 * FileChunker.readSize, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Opens `path` without following a symlink and chunks it to its end.
    /// `onRead` is told how many bytes each read returned.
    func chunk(path: [UInt8], onRead: (Int) -> Void) throws -> ChunkedFile {
        var fd = FileSystem.withCPath(path) { open($0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | FileChunker.noAccessTime) }
        if fd < 0 && errno == EPERM {
            // O_NOATIME is only allowed for the file's owner (or root).
            fd = FileSystem.withCPath(path) { open($0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        }
        guard fd >= 0 else { throw VolumeError.system("open", path: path, errno: errno) }
        defer { close(fd) }
        #if canImport(Glibc)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)  // advisory only: a failure changes nothing
        #endif
        return try chunk(fd: fd, path: path, onRead: onRead)
    }

    /// Opens `name` in `directory` (`openat`, without following a symlink) and chunks it to its end.
    func chunk(in directory: DirectoryHandle, name: [UInt8], onRead: (Int) -> Void) throws -> ChunkedFile {
        let path = directory.display(name)
        var fd = directory.openFileRaw(name, flags: O_RDONLY | FileChunker.noAccessTime)
        if fd < 0 && errno == EPERM {
            // O_NOATIME is only allowed for the file's owner (or root).
            fd = directory.openFileRaw(name, flags: O_RDONLY)
        }
        guard fd >= 0 else { throw VolumeError.system("open", path: path, errno: errno) }
        defer { close(fd) }
        #if canImport(Glibc)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)  // advisory only: a failure changes nothing
        #endif
        return try chunk(fd: fd, path: path, onRead: onRead)
    }

    /// Reads the open file to its end; if its size, mtime or ctime changed
    /// meanwhile (fstat before and after), reads it once more from the start
    /// and keeps the second read, marked by how consistent it was.
    private func chunk(fd: Int32, path: [UInt8], onRead: (Int) -> Void) throws -> ChunkedFile {
        let first = try readOnce(fd: fd, path: path, onRead: onRead)
        guard first.changed else { return first.file }
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw VolumeError.system("lseek", path: path, errno: errno) }
        let second = try readOnce(fd: fd, path: path, onRead: onRead)
        var result = second.file
        result.bytesDiscarded = first.file.bytesRead
        result.bytesAdded += first.file.bytesAdded
        result.blobsAdded += first.file.blobsAdded
        result.consistency = second.changed ? .changing : .stableOnReread
        return result
    }

    private func readOnce(fd: Int32, path: [UInt8], onRead: (Int) -> Void) throws -> (file: ChunkedFile, changed: Bool) {
        let before = try status(fd: fd, path: path)
        var result = try readToEnd(fd: fd, path: path, onRead: onRead)
        let after = try status(fd: fd, path: path)
        result.status = after
        let changed = before.size != after.size || before.mtimeNs != after.mtimeNs || before.ctimeNs != after.ctimeNs
        return (result, changed)
    }

    private func status(fd: Int32, path: [UInt8]) throws -> FileStatus {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw VolumeError.system("fstat", path: path, errno: errno) }
        return FileStatus(st)
    }

    private func readToEnd(fd: Int32, path: [UInt8], onRead: (Int) -> Void) throws -> ChunkedFile {
        var result = ChunkedFile()
        chunker.reset()
        var chunkStart = 0   // first byte of the current chunk
        var scanned = 0      // bytes up to here have been fed to the chunker
        var end = 0          // bytes up to here are valid
        var atEOF = false
        while true {
            // Feed what is buffered and save every chunk that ends inside it.
            while scanned < end {
                let window = UnsafeRawBufferPointer(rebasing: buffer[scanned..<end])
                guard let cut = chunker.findCut(in: window) else {
                    scanned = end
                    break
                }
                scanned += cut
                try save(chunkStart..<scanned, into: &result)
                chunkStart = scanned
            }
            if atEOF { break }
            // Make room: move the pending chunk to the front, grow if a chunk is huge.
            if chunkStart > 0 {
                let pending = end - chunkStart
                if pending > 0, let base = buffer.baseAddress {
                    memmove(base, base + chunkStart, pending)
                }
                end = pending
                scanned = pending
                chunkStart = 0
            }
            if buffer.count - end < FileChunker.readSize { grow(keeping: end) }
            let n = try readSome(fd: fd, into: end, path: path)
            if n == 0 {
                atEOF = true
            } else {
                end += n
                result.bytesRead += Int64(n)
                onRead(n)
            }
        }
        if end > chunkStart { try save(chunkStart..<end, into: &result) }
        return result
    }

    private func save(_ range: Range<Int>, into result: inout ChunkedFile) throws {
        let saved = try store.saveBlob(.data, bytes: UnsafeRawBufferPointer(rebasing: buffer[range]))
        result.content.append(saved.id)
        if saved.isNew {
            result.blobsAdded += 1
            result.bytesAdded += Int64(saved.storedSize)
        }
    }

    private func readSome(fd: Int32, into offset: Int, path: [UInt8]) throws -> Int {
        let want = min(FileChunker.readSize, buffer.count - offset)
        do {
            // Retries EINTR.
            return try FileDescriptor(rawValue: fd).read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + want]))
        } catch let error as Errno {
            throw VolumeError.system("read", path: path, errno: error.rawValue)
        }
    }

    private func grow(keeping count: Int) {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 64)
        if count > 0 { bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: count) }
        buffer.deallocate()
        buffer = bigger
    }
}
