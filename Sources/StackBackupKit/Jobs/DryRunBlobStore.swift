import Foundation

/// Counts what a backup would add without writing anything: ids are computed
/// with the repository's key, known blobs are recognised, nothing is stored.
final class DryRunBlobStore: BlobStore, @unchecked Sendable {
    private let repository: Repository
    private let lock = NSLock()
    private var seen = Set<ObjectID>()

    init(_ repository: Repository) { self.repository = repository }

    func saveBlob(_ type: BlobType, bytes: UnsafeRawBufferPointer) throws -> SavedBlob {
        let id = repository.blobID(for: bytes)
        if repository.hasBlob(type, id: id) { return SavedBlob(id: id, isNew: false, storedSize: 0) }
        let isNew = lock.withLock { seen.insert(id).inserted }
        return SavedBlob(id: id, isNew: isNew, storedSize: isNew ? bytes.count : 0)
    }

    func loadBlob(_ type: BlobType, id: ObjectID) throws -> [UInt8] { try repository.loadBlob(type, id: id) }
    func hasBlob(_ type: BlobType, id: ObjectID) -> Bool { repository.hasBlob(type, id: id) || lock.withLock { seen.contains(id) } }
}
