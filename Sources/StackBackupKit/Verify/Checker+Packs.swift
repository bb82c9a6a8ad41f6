import Foundation

extension Checker {
    /// Every indexed pack: exists, has the indexed size, its header agrees
    /// with the index; selected packs are read and every blob verified.
    func checkPacks(repository: Repository, readData: ReadDataSelection, state: inout CheckState,
                    progress: ((String) -> Void)?) throws {
        let stored = Dictionary(try repository.backend.list(.pack).map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a })
        let byPack = state.index.blobsByPack()
        let packs = state.index.allPacks.sorted { $0.id < $1.id }
        state.report.unindexedPacks = stored.keys.filter { name in ObjectID(hex: name).map { state.index.pack($0) == nil } ?? true }.count
        let selected = packs.filter { readData.includes($0.id) }
        progress?("checking \(packs.count) pack(s), reading \(selected.count)")
        var readCount = 0
        for pack in packs {
            try repository.cancellation.check()
            state.report.packsChecked += 1
            let path = Handle(.pack, pack.id).relativePath
            let blobs = (byPack[pack.id] ?? []).sorted { $0.location.position < $1.location.position }
            guard let size = stored[pack.id.hex] else {
                state.report.damagedPacks.append(.init(path: path, reason: "is missing"))
                for blob in blobs { state.damaged(blob.key.type, blob.key.id, reason: "its pack \(pack.id.short) is missing") }
                continue
            }
            if size != pack.size {
                state.report.damagedPacks.append(.init(path: path, reason: "has \(size) bytes, the index says \(pack.size)"))
                for blob in blobs where blob.location.offset + blob.location.length > size {
                    state.damaged(blob.key.type, blob.key.id, reason: "lies beyond the end of truncated pack \(pack.id.short)")
                }
            }
            if readData.includes(pack.id) {
                readCount += 1
                progress?("reading pack \(readCount)/\(selected.count) \(pack.id.short)")
                readPack(pack, path: path, blobs: blobs, repository: repository, state: &state)
            } else if size == pack.size {
                do {
                    let header = try Pack.readHeader(backend: repository.backend, id: pack.id, size: size, key: repository.key)
                    compare(header, with: blobs, path: path, state: &state)
                } catch {
                    state.report.damagedPacks.append(.init(path: path, reason: "has an unreadable header: \(error)"))
                }
            }
        }
    }

    private func readPack(_ pack: MasterIndex.PackInfo, path: String, blobs: [(key: MasterIndex.BlobKey, location: MasterIndex.Location)],
                          repository: Repository, state: inout CheckState) {
        let bytes: [UInt8]
        do {
            bytes = try repository.backend.load(Handle(.pack, pack.id))
        } catch {
            state.report.damagedPacks.append(.init(path: path, reason: "cannot be read: \(error)"))
            for blob in blobs { state.damaged(blob.key.type, blob.key.id, reason: "its pack \(pack.id.short) cannot be read") }
            return
        }
        state.report.packsRead += 1
        state.report.bytesRead += Int64(bytes.count)
        var problems: [String] = []
        if SHA256.hash(bytes) != pack.id { problems.append("its SHA-256 does not match its name") }
        if bytes.count == pack.size {
            do {
                compare(try Pack.readHeader(of: bytes, key: repository.key, object: "pack \(path)"), with: blobs, path: path, state: &state)
            } catch {
                problems.append("its header is damaged (\(error))")
            }
        }
        var badBlobs = 0
        for blob in blobs {
            let location = blob.location
            guard location.offset + location.length <= bytes.count else { continue }  // reported as truncated above
            state.report.blobsRead += 1
            let sealed = Array(bytes[location.offset..<(location.offset + location.length)])
            do {
                _ = try Repository.openBlob(sealed, type: blob.key.type, id: blob.key.id, location: location, key: repository.key,
                                            object: "\(blob.key.type) blob \(blob.key.id.short) in pack \(path)")
            } catch {
                badBlobs += 1
                state.damaged(blob.key.type, blob.key.id, reason: "\(error)")
            }
        }
        if badBlobs > 0 { problems.append("\(badBlobs) of its \(blobs.count) blob(s) fail verification") }
        if !problems.isEmpty { state.report.damagedPacks.append(.init(path: path, reason: problems.joined(separator: "; "))) }
    }

    /// Reports a pack whose header disagrees with the index.
    private func compare(_ header: Pack.Header, with blobs: [(key: MasterIndex.BlobKey, location: MasterIndex.Location)],
                         path: String, state: inout CheckState) {
        var disagreements = 0
        for blob in blobs {
            let location = blob.location
            guard location.position < header.entries.count else {
                disagreements += 1
                continue
            }
            let entry = header.entries[location.position]
            if entry.id != blob.key.id || entry.type != blob.key.type || entry.flags != location.flags
                || entry.offset != location.offset || Int(entry.storedLength) != location.length
                || Int(entry.rawLength) != location.rawLength || header.salt != location.salt {
                disagreements += 1
            }
        }
        if disagreements > 0 {
            state.report.damagedPacks.append(.init(path: path, reason: "its header disagrees with the index on \(disagreements) blob(s)"))
        }
    }
}
