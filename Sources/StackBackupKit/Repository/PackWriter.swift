/// Builds one pack in memory: blobs are sealed straight into the pack buffer
/// under the pack's own key with counter nonces. Single-threaded: each
/// `BlobWriter` owns at most one open pack.
final class PackWriter {
    let salt: [UInt8]
    private let aead: AESGCM
    private(set) var bytes: [UInt8]
    private(set) var entries: [Pack.Entry] = []

    init(key: MasterKey, capacity: Int) throws {
        let salt = SecureRandom.bytes(32)
        let aead = try AESGCM(key: key.fileKey(salt: salt, kind: .pack))
        var bytes = [UInt8]()
        bytes.reserveCapacity(capacity)
        bytes += Pack.magic
        bytes += [Pack.version, 0, 0, 0]
        bytes += salt
        self.salt = salt
        self.aead = aead
        self.bytes = bytes
    }

    var size: Int { bytes.count }
    var isEmpty: Bool { entries.isEmpty }

    /// Seals `payload` (already compressed when `flags` says so) as the next blob.
    func add(type: BlobType, id: ObjectID, flags: UInt8, rawLength: Int,
                      payload: UnsafeRawBufferPointer) throws -> Pack.Entry {
        guard rawLength <= Int(UInt32.max), payload.count + AESGCM.tagSize <= Int(UInt32.max) else {
            throw RepositoryError(.invalidArgument, "a blob of \(rawLength) bytes is larger than the 4 GiB a pack entry can describe")
        }
        let offset = bytes.count
        let position = entries.count
        let aad = Pack.blobAAD(id: id, type: type, flags: flags)
        try aad.withUnsafeBytes { aadBuffer in
            try aead.seal(payload, nonce: AESGCM.nonce(counter: UInt64(position)), aad: aadBuffer, appendingTo: &bytes)
        }
        let entry = Pack.Entry(type: type, flags: flags, rawLength: UInt32(rawLength),
                               storedLength: UInt32(bytes.count - offset), id: id, offset: offset, position: position)
        entries.append(entry)
        return entry
    }

    /// Appends the sealed header and trailer; returns the finished pack bytes.
    func finish() throws -> [UInt8] {
        let prefix = Array(bytes[0..<Pack.prefixSize])
        let sealed = try aead.seal(Pack.encodeEntries(entries), nonce: AESGCM.nonce(counter: UInt64(entries.count)), aad: prefix)
        bytes += sealed
        bytes.appendLE(UInt32(sealed.count))
        bytes += Pack.endMagic
        let out = bytes
        bytes = []
        return out
    }
}
