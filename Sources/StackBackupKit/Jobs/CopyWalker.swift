import Foundation

/// Walks one snapshot's root in the source and stores what the target lacks,
/// returning the root's id in the target. Used by `CopyJob` on one thread;
/// blob transfers of one tree (or one manifest) run on `parallelism` threads.
///
/// The map source id → target id is trusted only for blobs the target holds;
/// entries come from blobs copied in this run and from zipping a source
/// snapshot with its earlier copy (`hint`), whose structure is identical.
/// A tree is never skipped just because the target has its id: only an
/// earlier, finished copy (the hint) or this run proves its subtree complete.
/// Walker state is confined to the calling thread; what the blob workers share is `ledger`.
final class CopyWalker {
    struct Key: Hashable {
        let type: BlobType
        let id: ObjectID
    }

    /// The id map and counters, written by the transfer threads.
    private struct Ledger {
        var map: [Key: ObjectID] = [:]
        var blobsCopied = 0
        var bytesCopied: Int64 = 0
    }

    let source: Repository
    let target: Repository
    /// Same id key: ids are equal in both repositories.
    let shared: Bool
    let parallelism: Int
    let flushEvery: Int64
    var report: ((Int, Int64) -> Void)?

    private let ledger = Locked(Ledger())
    private var flushedAt: Int64

    var blobsCopied: Int { ledger.withLock { $0.blobsCopied } }
    var bytesCopied: Int64 { ledger.withLock { $0.bytesCopied } }

    init(source: Repository, target: Repository, parallelism: Int, flushEvery: Int64) {
        self.source = source
        self.target = target
        self.shared = source.sharesBlobIDs(with: target)
        self.parallelism = max(1, parallelism)
        self.flushEvery = flushEvery
        self.flushedAt = target.stats.bytesAdded
    }

    /// Called after a snapshot was saved (so everything mapped is durable).
    func snapshotSaved() {
        flushedAt = target.stats.bytesAdded
    }

    func copyRoot(kind: SourceKind, id: ObjectID, hint: (source: ObjectID, target: ObjectID)?) throws -> ObjectID {
        switch kind {
        case .volume:
            // copyTree recurses once per folder level: on a large stack for deep trees.
            return try DeepStack.run { try copyTree(id, hint: hint) }
        case .postgres:
            return try copyManifest(id, hint: hint)
        case .globals:
            // A globals manifest references no blobs: its bytes copy as they are.
            if let known = mapped(.manifest, id) { return known }
            try copyBlobs(.manifest, [id])
            guard let copied = mapped(.manifest, id) else { throw lostBlob(.manifest, id) }
            return copied
        }
    }

    // MARK: - Map

    private func mapped(_ type: BlobType, _ id: ObjectID) -> ObjectID? {
        if shared, type == .data { return target.hasBlob(.data, id: id) ? id : nil }
        guard let known = ledger.withLock({ $0.map[Key(type: type, id: id)] }), target.hasBlob(type, id: known) else { return nil }
        return known
    }

    private func learn(_ type: BlobType, _ source: ObjectID, _ target: ObjectID) {
        ledger.withLock { $0.map[Key(type: type, id: source)] = target }
    }

    /// Zips two equally long id lists from a snapshot and its copy.
    private func learn(_ type: BlobType, zip sources: [ObjectID], _ targets: [ObjectID]) {
        guard sources.count == targets.count else { return }
        ledger.withLock { ledger in
            for (s, t) in zip(sources, targets) { ledger.map[Key(type: type, id: s)] = t }
        }
    }

    private func lostBlob(_ type: BlobType, _ id: ObjectID) -> RepositoryError {
        RepositoryError(.other, "\(type) blob \(id.short) was not stored in \(target.backend.location) during the copy; run the copy again")
    }

    // MARK: - Trees

    func copyTree(_ id: ObjectID, hint: (source: ObjectID, target: ObjectID)?) throws -> ObjectID {
        if let known = mapped(.tree, id) { return known }
        if let hint, hint.source == id, target.hasBlob(.tree, id: hint.target) {
            learn(.tree, id, hint.target)
            return hint.target
        }
        let bytes = try source.loadBlob(.tree, id: id)
        var tree: Tree
        do {
            tree = try CanonicalJSON.decode(Tree.self, from: bytes)
        } catch {
            throw IntegrityError(object: "tree \(id.short) in \(source.backend.location)", problem: "is not a valid tree document (\(error))")
        }
        // The same folder in the earlier snapshot and in its copy, if any.
        var hintSource: Tree?
        var hintTarget: Tree?
        if let hint {
            hintSource = try? source.loadTree(hint.source)
            hintTarget = shared ? hintSource : try? target.loadTree(hint.target)
        }
        var pending: [ObjectID] = []
        var seen = Set<ObjectID>()
        for node in tree.nodes {
            let before = hintSource?.node(named: node.name)
            let after = hintTarget?.node(named: node.name)
            if !shared, let s = before?.content, let t = after?.content { learn(.data, zip: s, t) }
            for chunk in node.content ?? [] where mapped(.data, chunk) == nil && seen.insert(chunk).inserted {
                pending.append(chunk)
            }
        }
        try copyBlobs(.data, pending)
        for index in tree.nodes.indices {
            let node = tree.nodes[index]
            if let subtree = node.subtree {
                var childHint: (ObjectID, ObjectID)?
                if let s = hintSource?.node(named: node.name)?.subtree, let t = hintTarget?.node(named: node.name)?.subtree {
                    childHint = (s, t)
                }
                tree.nodes[index].subtree = try copyTree(subtree, hint: childHint)
            }
            if !shared, let content = node.content {
                tree.nodes[index].content = try content.map { chunk in
                    guard let copied = mapped(.data, chunk) else { throw lostBlob(.data, chunk) }
                    return copied
                }
            }
        }
        let saved = shared ? try target.saveBlob(.tree, bytes: bytes) : try target.saveTree(tree)
        if shared, saved.id != id {
            throw IntegrityError(object: "tree \(id.short)", problem: "gets a different id in \(target.backend.location) although the repositories share their id key")
        }
        learn(.tree, id, saved.id)
        try flushIfDue()
        return saved.id
    }

    // MARK: - Database manifests

    func copyManifest(_ id: ObjectID, hint: (source: ObjectID, target: ObjectID)?) throws -> ObjectID {
        if let known = mapped(.manifest, id) { return known }
        if let hint, hint.source == id, target.hasBlob(.manifest, id: hint.target) {
            learn(.manifest, id, hint.target)
            return hint.target
        }
        let bytes = try source.loadBlob(.manifest, id: id)
        var manifest: DatabaseManifest
        do {
            manifest = try CanonicalJSON.decode(DatabaseManifest.self, from: bytes)
        } catch {
            throw IntegrityError(object: "manifest \(id.short) in \(source.backend.location)", problem: "is not a valid database manifest (\(error))")
        }
        if !shared, let hint,
           let before = try? source.loadJSON(DatabaseManifest.self, id: hint.source),
           let after = try? target.loadJSON(DatabaseManifest.self, id: hint.target) {
            learn(.data, zip: before.allBlobs, after.allBlobs)
        }
        var seen = Set<ObjectID>()
        let pending = manifest.allBlobs.filter { mapped(.data, $0) == nil && seen.insert($0).inserted }
        try copyBlobs(.data, pending)
        let saved: SavedBlob
        if shared {
            saved = try target.saveBlob(.manifest, bytes: bytes)
            guard saved.id == id else {
                throw IntegrityError(object: "manifest \(id.short)", problem: "gets a different id in \(target.backend.location) although the repositories share their id key")
            }
        } else {
            try manifest.remapBlobs { chunk in
                guard let copied = mapped(.data, chunk) else { throw lostBlob(.data, chunk) }
                return copied
            }
            saved = try target.saveJSON(manifest)
        }
        learn(.manifest, id, saved.id)
        try flushIfDue()
        return saved.id
    }

    // MARK: - Blob transfer

    /// Loads each blob from the source and saves it into the target, on up to
    /// `parallelism` threads; the first error stops the rest and is thrown.
    func copyBlobs(_ type: BlobType, _ ids: [ObjectID]) throws {
        guard !ids.isEmpty else { return }
        // Captured by value: the workers share only Sendable state, never the walker.
        let (source, target, shared, ledger) = (source, target, shared, ledger)
        let pool = ThreadPool<ObjectID>(name: "stackbackup-copy", threads: min(parallelism, ids.count))
        for id in ids { pool.submit(id) }
        pool.start { id in
            let plaintext = try source.loadBlob(type, id: id)
            let saved = try target.saveBlob(type, bytes: plaintext)
            if shared, saved.id != id {
                throw IntegrityError(object: "\(type) blob \(id.short)", problem: "gets a different id in \(target.backend.location) although the repositories share their id key")
            }
            ledger.withLock {
                $0.map[Key(type: type, id: id)] = saved.id
                $0.blobsCopied += 1
                $0.bytesCopied += Int64(plaintext.count)
            }
        }
        try pool.join()
        let (blobs, bytes) = ledger.withLock { ($0.blobsCopied, $0.bytesCopied) }
        report?(blobs, bytes)
        try flushIfDue()
    }

    /// Flushes the target once enough new bytes are waiting (called between batches only).
    private func flushIfDue() throws {
        let added = target.stats.bytesAdded
        guard added - flushedAt >= flushEvery else { return }
        try target.flush()
        flushedAt = added
    }
}

extension DatabaseManifest {
    /// Every data blob, in a fixed order (pre-data, post-data, tables by part, large objects).
    var allBlobs: [ObjectID] {
        preData + postData + (schema?.chunks ?? []) + tables.flatMap { $0.parts.flatMap(\.chunks) } + largeObjects.flatMap(\.chunks)
    }

    /// Replaces every data blob id.
    mutating func remapBlobs(_ transform: (ObjectID) throws -> ObjectID) throws {
        preData = try preData.map(transform)
        postData = try postData.map(transform)
        if var archive = schema {
            archive.chunks = try archive.chunks.map(transform)
            schema = archive
        }
        for t in tables.indices {
            for p in tables[t].parts.indices {
                tables[t].parts[p].chunks = try tables[t].parts[p].chunks.map(transform)
            }
        }
        for l in largeObjects.indices {
            largeObjects[l].chunks = try largeObjects[l].chunks.map(transform)
        }
    }
}
