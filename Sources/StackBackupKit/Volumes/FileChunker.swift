#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of chunking one file into the store.
struct ChunkedFile {
    var content: [ObjectID] = []
    var bytesRead: Int64 = 0
    var bytesAdded: Int64 = 0
    var blobsAdded = 0
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

    private func chunk(fd: Int32, path: [UInt8], onRead: (Int) -> Void) throws -> ChunkedFile {
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
        while true {
            let n = read(fd, buffer.baseAddress! + offset, want)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw VolumeError.system("read", path: path, errno: errno)
        }
    }

    private func grow(keeping count: Int) {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 64)
        if count > 0 { bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: count) }
        buffer.deallocate()
        buffer = bigger
    }
}
