import Foundation

extension Repository {
    /// Stores a blob unless one of this type and id is indexed or being
    /// written. Thread-safe; see the type's contract about durability.
    public func saveBlob(_ type: BlobType, bytes: UnsafeRawBufferPointer) throws -> SavedBlob {
        try cancellation.check()
        let writer = try borrowWriter()
        defer { mutex.withLock { idleWriters.append(writer) } }
        let id = writer.hmac.authenticate(bytes)
        let blobKey = MasterIndex.BlobKey(id: id, type: type)
        let isNew = mutex.withLock { () -> Bool in
            if index.contains(type, id) || inFlight.contains(blobKey) {
                statsValue.blobsDeduplicated += 1
                return false
            }
            inFlight.insert(blobKey)
            return true
        }
        guard isNew else { return SavedBlob(id: id, isNew: false, storedSize: 0) }
        let entry: Pack.Entry
        do {
            entry = try writer.add(type: type, id: id, bytes: bytes)
        } catch {
            // The pack may be half-written: drop it and everything it held.
            let lost = writer.discardPack()
            mutex.withLock {
                inFlight.remove(blobKey)
                forget(lost, because: error)
            }
            throw error
        }
        mutex.withLock {
            statsValue.bytesAdded += Int64(entry.storedLength)
            statsValue.blobsAdded += 1
        }
        if writer.packSize >= config.packSize {
            try writePack(of: writer)
        }
        return SavedBlob(id: id, isNew: true, storedSize: Int(entry.storedLength))
    }

    /// Loads and verifies one blob: tag, decompression, and its id recomputed.
    public func loadBlob(_ type: BlobType, id: ObjectID) throws -> [UInt8] {
        try cancellation.check()
        guard let location = mutex.withLock({ index.location(type, id) }) else {
            throw RepositoryError(.notFound, "\(type) blob \(id.short) is not in the index of \(backend.location); run `stackbackup verify` to check the repository")
        }
        let handle = Handle(.pack, location.pack)
        let sealed: [UInt8]
        do {
            sealed = try backend.load(handle, offset: location.offset, length: location.length)
        } catch let error as BackendError where error.code == .shortRead {
            throw IntegrityError(object: "pack \(handle.relativePath)", problem: "is truncated: \(type) blob \(id.short) at offset \(location.offset) is missing")
        }
        return try Repository.openBlob(sealed, type: type, id: id, location: location, key: key,
                                       object: "\(type) blob \(id.short) in pack \(handle.relativePath)")
    }

    /// Whether a blob is indexed, or was saved by this instance and awaits its pack.
    public func hasBlob(_ type: BlobType, id: ObjectID) -> Bool {
        mutex.withLock { index.contains(type, id) || inFlight.contains(MasterIndex.BlobKey(id: id, type: type)) }
    }

    /// Decrypts, decompresses and verifies one sealed blob (shared with the checker).
    static func openBlob(_ sealed: [UInt8], type: BlobType, id: ObjectID, location: MasterIndex.Location,
                         key: MasterKey, object: String) throws -> [UInt8] {
        let payload: [UInt8]
        do {
            let aead = try AESGCM(key: key.fileKey(salt: location.salt, kind: .pack))
            payload = try aead.open(sealed, nonce: AESGCM.nonce(counter: UInt64(location.position)),
                                    aad: Pack.blobAAD(id: id, type: type, flags: location.flags))
        } catch let error as CryptoError where error.code == .authenticationFailed {
            throw IntegrityError(object: object, problem: "fails authentication (the pack is damaged or the index is wrong)")
        }
        let plaintext: [UInt8]
        if location.flags & Pack.flagCompressed != 0 {
            do {
                plaintext = try ZstdDecompressor().decompress(payload, expectedSize: location.rawLength)
            } catch {
                throw IntegrityError(object: object, problem: "does not decompress to \(location.rawLength) bytes (\(error))")
            }
        } else {
            plaintext = payload
        }
        guard plaintext.count == location.rawLength else {
            throw IntegrityError(object: object, problem: "holds \(plaintext.count) bytes, the index says \(location.rawLength)")
        }
        guard HMACSHA256(key: key.idKey).authenticate(plaintext) == id else {
            throw IntegrityError(object: object, problem: "has content that does not match its id")
        }
        return plaintext
    }

    // MARK: - Writers and packs

    func borrowWriter() throws -> BlobWriter {
        if let writer = mutex.withLock({ idleWriters.popLast() }) { return writer }
        let writer = try BlobWriter(key: key, packSize: config.packSize, compressionLevel: config.compressionLevel)
        mutex.withLock { allWriters.append(writer) }
        return writer
    }

    /// Writes the writer's open pack (if any), indexes it, and writes an index
    /// segment when enough packs are pending.
    func writePack(of writer: BlobWriter) throws {
        let finished: (bytes: [UInt8], salt: [UInt8], entries: [Pack.Entry])?
        do {
            finished = try writer.finishPack()
        } catch {
            let lost = writer.discardPack()
            mutex.withLock { forget(lost, because: error) }
            throw error
        }
        guard let finished else { return }
        let id = SHA256.hash(finished.bytes)
        do {
            try backend.save(Handle(.pack, id), finished.bytes)
        } catch let error as BackendError where error.code == .alreadyExists {
            // Same SHA-256, same bytes: already stored.
        } catch {
            mutex.withLock { forget(finished.entries, because: error) }
            throw error
        }
        let record = IndexSegment.PackRecord(id: id, salt: finished.salt, size: finished.bytes.count, entries: finished.entries)
        let segmentPacks = mutex.withLock { () -> [IndexSegment.PackRecord] in
            try? index.add(IndexSegment(packs: [record]), name: nil, object: "new pack \(id.short)")
            for entry in finished.entries {
                inFlight.remove(MasterIndex.BlobKey(id: entry.id, type: entry.type))
            }
            statsValue.packsWritten += 1
            pendingPacks.append(record)
            guard pendingPacks.count >= Repository.packsPerSegment else { return [] }
            defer { pendingPacks = [] }
            return pendingPacks
        }
        try writeSegment(segmentPacks)
    }

    /// Records blobs that were reported saved but never reached storage. Call with `mutex` held.
    private func forget(_ entries: [Pack.Entry], because error: Error) {
        guard !entries.isEmpty else { return }
        for entry in entries {
            inFlight.remove(MasterIndex.BlobKey(id: entry.id, type: entry.type))
        }
        lostBlobs = RepositoryError(.other, "\(entries.count) blob(s) could not be written to \(backend.location) (\(error)); the backup is incomplete, run it again")
    }
}

extension Repository {
    /// The id a blob with this content has in this repository (keyed: it
    /// reveals nothing about the content to someone without the key).
    public func blobID(for bytes: UnsafeRawBufferPointer) -> ObjectID {
        HMACSHA256(key: key.idKey).authenticate(bytes)
    }
}
