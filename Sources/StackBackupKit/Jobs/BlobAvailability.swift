import Foundation

/// Whether a blob can be read: indexed, in a stored pack of the indexed size,
/// and with `readData`, read and verified (each blob once).
final class BlobAvailability {
    private let repository: Repository
    private let index: MasterIndex
    private let storedPacks: [ObjectID: Int]
    private let readData: Bool
    private var verified: [ObjectID: Bool] = [:]

    init(repository: Repository, storedPacks: [ObjectID: Int], readData: Bool) {
        self.repository = repository
        self.index = repository.currentIndex
        self.storedPacks = storedPacks
        self.readData = readData
    }

    func available(_ type: BlobType, _ id: ObjectID) -> Bool {
        guard let location = index.location(type, id), let size = storedPacks[location.pack],
              size == index.pack(location.pack)?.size else { return false }
        return true
    }

    func dataAvailable(_ id: ObjectID) throws -> Bool {
        guard available(.data, id) else { return false }
        guard readData else { return true }
        if let known = verified[id] { return known }
        let ok: Bool
        do {
            _ = try repository.loadBlob(.data, id: id)
            ok = true
        } catch is IntegrityError {
            ok = false
        } catch let error as BackendError where error.code == .shortRead {
            ok = false
        }
        verified[id] = ok
        return ok
    }

    func rawLength(of id: ObjectID) -> Int { index.location(.data, id)?.rawLength ?? 0 }
}
