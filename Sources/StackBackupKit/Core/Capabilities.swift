import Foundation

// Small capability protocols: what the volume archiver, the database dumper
// and the restorers need from a repository, so each can be tested against an
// in-memory store and composed with the real `Repository`.

/// The outcome of saving one blob.
public struct SavedBlob: Sendable, Equatable {
    public let id: ObjectID
    /// False when a blob with this id was already stored (deduplicated).
    public let isNew: Bool
    /// Bytes this blob adds to the repository (0 when deduplicated).
    public let storedSize: Int

    public init(id: ObjectID, isNew: Bool, storedSize: Int) {
        self.id = id
        self.isNew = isNew
        self.storedSize = storedSize
    }
}

/// Stores blobs by content.
///
/// Contract: safe to call from several threads at once; `saveBlob` computes the
/// keyed id of `bytes`, stores the blob unless one of that type and id exists,
/// and returns before the data is durable. Data becomes durable (and visible to
/// a later process) only after the owner's flush; a snapshot is written only
/// after that flush.
public protocol BlobSaver: AnyObject, Sendable {
    func saveBlob(_ type: BlobType, bytes: UnsafeRawBufferPointer) throws -> SavedBlob
}

/// Loads blobs by id.
///
/// Contract: safe to call from several threads at once; `loadBlob` returns the
/// plaintext and has verified it against `id` (a mismatch throws
/// `IntegrityError`); an unknown id throws `RepositoryError` with code `.notFound`.
public protocol BlobLoader: AnyObject, Sendable {
    func loadBlob(_ type: BlobType, id: ObjectID) throws -> [UInt8]
    func hasBlob(_ type: BlobType, id: ObjectID) -> Bool
}

public typealias BlobStore = BlobSaver & BlobLoader

/// The canonical JSON of trees and manifests: sorted keys, so the same value
/// always gives the same bytes and so the same blob id.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return [UInt8](try encoder.encode(value))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(bytes))
    }
}

extension BlobSaver {
    public func saveBlob(_ type: BlobType, bytes: [UInt8]) throws -> SavedBlob {
        try bytes.withUnsafeBytes { try saveBlob(type, bytes: $0) }
    }

    public func saveTree(_ tree: Tree) throws -> SavedBlob {
        try saveBlob(.tree, bytes: CanonicalJSON.encode(tree))
    }

    /// Saves any JSON document (e.g. a database manifest) as a blob of `type`.
    public func saveJSON<T: Encodable>(_ value: T, as type: BlobType = .manifest) throws -> SavedBlob {
        try saveBlob(type, bytes: CanonicalJSON.encode(value))
    }
}

extension BlobLoader {
    public func loadTree(_ id: ObjectID) throws -> Tree {
        let bytes = try loadBlob(.tree, id: id)
        do {
            return try CanonicalJSON.decode(Tree.self, from: bytes)
        } catch {
            throw IntegrityError(object: "tree \(id.short)", problem: "is not a valid tree document (\(error))")
        }
    }

    public func loadJSON<T: Decodable>(_ type: T.Type, id: ObjectID, as blobType: BlobType = .manifest) throws -> T {
        let bytes = try loadBlob(blobType, id: id)
        do {
            return try CanonicalJSON.decode(type, from: bytes)
        } catch {
            throw IntegrityError(object: "\(blobType) \(id.short)", problem: "is not a valid document (\(error))")
        }
    }
}
