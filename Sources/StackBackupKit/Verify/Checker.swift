import Foundation

/// Checks a repository and names the damage. Structure: every snapshot
/// loads, every tree reachable from one loads, every referenced blob is
/// indexed, every indexed pack exists with its size and a header that agrees
/// with the index. Data (`readData`): every selected pack is read whole, its
/// SHA-256 checked and every blob decrypted, decompressed and its id recomputed.
///
/// Trees are walked generically (a node's `content` and `subtree`); a
/// database snapshot's root is a manifest blob whose referenced blobs come
/// from the `manifestBlobs` hook (supplied by the PostgreSQL code).
public struct Checker: Sendable {
    /// Lists the blobs a manifest references, grouped by item (table, schema section…).
    public typealias ManifestBlobs = @Sendable (ObjectID, BlobLoader) throws -> [(item: String, blobs: [(BlobType, ObjectID)])]

    public var manifestBlobs: ManifestBlobs

    /// Treats a manifest as a leaf: it must load, it references nothing the checker knows of.
    public static let manifestAsLeaf: ManifestBlobs = { id, loader in
        _ = try loader.loadBlob(.manifest, id: id)
        return []
    }

    public init(manifestBlobs: ManifestBlobs? = nil) {
        self.manifestBlobs = manifestBlobs ?? Checker.manifestAsLeaf
    }

    /// Runs the structure check, plus the data check of the selected packs.
    public func check(repository: Repository, readData: ReadDataSelection = .none,
                      progress: ((String) -> Void)? = nil) throws -> DamageReport {
        let readData = readData.resolved(repositoryID: repository.config.id)
        var state = CheckState(index: repository.currentIndex)
        if let slice = readData.slice {
            state.report.readSlice = slice.index
            state.report.readSlices = slice.of
        }
        for (name, error) in repository.damagedIndexSegments {
            state.report.damagedIndexSegments.append(.init(path: Handle(.index, name).relativePath, reason: error))
        }
        try checkPacks(repository: repository, readData: readData, state: &state, progress: progress)
        try checkSnapshots(repository: repository, state: &state, progress: progress)
        state.report.damagedBlobs.sort { ($0.pack?.hex ?? "", $0.id) < ($1.pack?.hex ?? "", $1.id) }
        state.report.missingBlobs.sort { $0.id < $1.id }
        return state.report
    }

    // MARK: - Snapshots and trees

    private func checkSnapshots(repository: Repository, state: inout CheckState, progress: ((String) -> Void)?) throws {
        let (snapshots, damaged) = try repository.listSnapshots()
        for (name, error) in damaged {
            state.report.damagedSnapshots.append(.init(path: Handle(.snapshot, name).relativePath, reason: error))
        }
        progress?("checking \(snapshots.count) snapshot(s)")
        for record in snapshots {
            // A stop must not be mistaken for damage: the tree loads below fail
            // with it, so the check stops before their result is recorded.
            try repository.cancellation.check()
            state.report.snapshotsChecked += 1
            let snapshot = record.snapshot
            var items: [String]
            switch snapshot.kind {
            case .volume:
                // A tree thousands of folders deep recurses as deep: on a large stack.
                items = DeepStack.run { walkTree(record.snapshot.root, repository: repository, state: &state) }
            case .postgres, .globals:
                items = checkManifest(snapshot.root, repository: repository, state: &state)
            }
            try repository.cancellation.check()
            if !items.isEmpty {
                items = items.map { $0.isEmpty ? "/" : $0 }.sorted()
                state.report.affectedSnapshots.append(.init(id: record.id, kind: snapshot.kind, source: snapshot.source,
                                                            time: snapshot.time, items: items))
            }
        }
    }

    /// Returns the affected paths below tree `id` ("" names the tree itself).
    private func walkTree(_ id: ObjectID, repository: Repository, state: inout CheckState) -> [String] {
        if let known = state.trees[id] { return known }
        var affected: [String] = []
        if !state.referenced(.tree, id, as: "tree") {
            affected = [""]
        } else {
            state.report.treesChecked += 1
            do {
                let tree = try repository.loadTree(id)
                for node in tree.nodes {
                    let name = node.displayName
                    if let content = node.content {
                        var bad = false
                        for blob in content where !state.referenced(.data, blob, as: "content of \(name)") { bad = true }
                        if bad { affected.append(name) }
                    }
                    if let subtree = node.subtree {
                        for sub in walkTree(subtree, repository: repository, state: &state) {
                            affected.append(sub.isEmpty ? name : name + "/" + sub)
                        }
                    }
                }
            } catch {
                state.damaged(.tree, id, reason: "\(error)")
                affected = [""]
            }
        }
        state.trees[id] = affected
        return affected
    }

    /// Returns the affected manifest items.
    private func checkManifest(_ id: ObjectID, repository: Repository, state: inout CheckState) -> [String] {
        guard state.referenced(.manifest, id, as: "manifest") else { return ["manifest"] }
        do {
            var affected: [String] = []
            for (item, blobs) in try manifestBlobs(id, repository) {
                var bad = false
                for (type, blob) in blobs where !state.referenced(type, blob, as: item) { bad = true }
                if bad { affected.append(item) }
            }
            return affected
        } catch {
            state.damaged(.manifest, id, reason: "\(error)")
            return ["manifest"]
        }
    }
}

/// Mutable state of one check run.
struct CheckState {
    let index: MasterIndex
    var report = DamageReport()
    /// Blobs found damaged (by pack or data checks), with the reason.
    var bad: [MasterIndex.BlobKey: String] = [:]
    var missing: Set<MasterIndex.BlobKey> = []
    /// Affected paths below each tree already walked.
    var trees: [ObjectID: [String]] = [:]

    init(index: MasterIndex) { self.index = index }

    /// Whether a referenced blob is indexed and not known damaged; records a missing one.
    mutating func referenced(_ type: BlobType, _ id: ObjectID, as what: String) -> Bool {
        let key = MasterIndex.BlobKey(id: id, type: type)
        if bad[key] != nil { return false }
        guard index.contains(type, id) else {
            if missing.insert(key).inserted {
                report.missingBlobs.append(.init(type: type.description, id: id, pack: nil, reason: "referenced (\(what)) but in no index"))
            }
            return false
        }
        return true
    }

    /// Records a damaged blob once.
    mutating func damaged(_ type: BlobType, _ id: ObjectID, reason: String) {
        let key = MasterIndex.BlobKey(id: id, type: type)
        guard bad[key] == nil else { return }
        bad[key] = reason
        report.damagedBlobs.append(.init(type: type.description, id: id, pack: index.location(type, id)?.pack, reason: reason))
    }
}
