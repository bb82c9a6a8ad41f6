import Foundation
import StackBackupKit

/// A `BlobStore` in memory for tests: ids are the SHA-256 of the plaintext,
/// blobs are kept as given, and every call is counted so tests can assert
/// that a run read or wrote nothing. Thread-safe.
public final class MemoryBlobStore: BlobStore, @unchecked Sendable {
    private struct Key: Hashable {
        let type: BlobType
        let id: ObjectID
    }

    private let lock = NSLock()
    private var blobs: [Key: [UInt8]] = [:]
    private var damaged: Set<ObjectID> = []
    private var saveCounts: [BlobType: Int] = [:]
    private var newCounts: [BlobType: Int] = [:]
    private var loadCounts: [BlobType: Int] = [:]
    private var storedBytes = 0

    public init() {}

    public func saveBlob(_ type: BlobType, bytes: UnsafeRawBufferPointer) throws -> SavedBlob {
        let id = SHA256.hash(bytes)
        let key = Key(type: type, id: id)
        return lock.withLock {
            saveCounts[type, default: 0] += 1
            if blobs[key] != nil { return SavedBlob(id: id, isNew: false, storedSize: 0) }
            blobs[key] = [UInt8](bytes)
            newCounts[type, default: 0] += 1
            storedBytes += bytes.count
            return SavedBlob(id: id, isNew: true, storedSize: bytes.count)
        }
    }

    public func loadBlob(_ type: BlobType, id: ObjectID) throws -> [UInt8] {
        let stored: [UInt8]? = lock.withLock {
            loadCounts[type, default: 0] += 1
            return blobs[Key(type: type, id: id)]
        }
        guard let stored else {
            throw RepositoryError(.notFound, "\(type) blob \(id.short) is not in the repository; run `stackbackup verify` to see what is affected")
        }
        guard SHA256.hash(stored) == id else {
            throw IntegrityError(object: "\(type) blob \(id.short)", problem: "content does not match its id")
        }
        return stored
    }

    public func hasBlob(_ type: BlobType, id: ObjectID) -> Bool {
        lock.withLock { blobs[Key(type: type, id: id)] != nil }
    }

    /// Flips a byte of every stored blob with this id, so loading it throws `IntegrityError`.
    public func corrupt(id: ObjectID) {
        lock.withLock {
            for type in BlobType.allCases {
                let key = Key(type: type, id: id)
                guard var bytes = blobs[key] else { continue }
                if bytes.isEmpty { bytes = [0xFF] } else { bytes[bytes.count / 2] ^= 0x5A }
                blobs[key] = bytes
            }
        }
    }

    /// Calls of `saveBlob` for `type` (deduplicated ones included).
    public func saves(_ type: BlobType) -> Int { lock.withLock { saveCounts[type, default: 0] } }
    /// Blobs of `type` that were new when saved.
    public func newBlobs(_ type: BlobType) -> Int { lock.withLock { newCounts[type, default: 0] } }
    /// Calls of `loadBlob` for `type`.
    public func loads(_ type: BlobType) -> Int { lock.withLock { loadCounts[type, default: 0] } }
    /// Bytes of all distinct blobs stored.
    public var bytesStored: Int { lock.withLock { storedBytes } }
    /// Distinct blobs stored.
    public var blobCount: Int { lock.withLock { blobs.count } }
    /// The ids of all stored blobs of `type`.
    public func ids(_ type: BlobType) -> [ObjectID] { lock.withLock { blobs.keys.filter { $0.type == type }.map(\.id) } }

    /// Resets the call counters (not the content).
    public func resetCounters() {
        lock.withLock {
            saveCounts = [:]
            newCounts = [:]
            loadCounts = [:]
        }
    }
}
