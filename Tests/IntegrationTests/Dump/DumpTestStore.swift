import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// An in-memory `BlobStore` for dump tests: ids are plain SHA-256, stored size
/// is the plaintext size, and it counts what each dump added.
final class DumpTestStore: BlobStore, @unchecked Sendable {
    struct Missing: Error {}
    private let lock = NSLock()
    private var blobs: [BlobType: [ObjectID: [UInt8]]] = [:]

    func saveBlob(_ type: BlobType, bytes: UnsafeRawBufferPointer) throws -> SavedBlob {
        let id = SHA256.hash(bytes)
        lock.lock(); defer { lock.unlock() }
        if blobs[type]?[id] != nil { return SavedBlob(id: id, isNew: false, storedSize: 0) }
        blobs[type, default: [:]][id] = [UInt8](bytes)
        return SavedBlob(id: id, isNew: true, storedSize: bytes.count)
    }

    func loadBlob(_ type: BlobType, id: ObjectID) throws -> [UInt8] {
        lock.lock(); defer { lock.unlock() }
        guard let bytes = blobs[type]?[id] else { throw Missing() }
        return bytes
    }

    func hasBlob(_ type: BlobType, id: ObjectID) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return blobs[type]?[id] != nil
    }

    var dataBlobCount: Int {
        lock.lock(); defer { lock.unlock() }
        return blobs[.data]?.count ?? 0
    }

    /// The concatenated bytes of `chunks`.
    func stream(_ chunks: [ObjectID]) throws -> [UInt8] {
        try chunks.flatMap { try loadBlob(.data, id: $0) }
    }

    func text(_ chunks: [ObjectID]) throws -> String {
        String(decoding: try stream(chunks), as: UTF8.self)
    }
}

extension DumpTestStore {
    /// One section of a manifest's schema archive as the SQL the real
    /// pg_restore would run (`pg_restore --section=S --file=-`).
    func schemaSQL(_ manifest: DatabaseManifest, section: String) throws -> String {
        let archive = try #require(manifest.schema, "the manifest has no schema archive")
        let folder = TemporaryDirectory()
        let path = folder.path + "/schema.dump"
        try Data(try stream(archive.chunks)).write(to: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["pg_restore", "--section=\(section)", "--file=-", path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "pg_restore could not read the archive")
        return String(decoding: data, as: UTF8.self)
    }
}
