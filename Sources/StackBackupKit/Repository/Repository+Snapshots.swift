import Foundation

extension Repository {
    /// Flushes all pending data, then stores the snapshot document; returns its id.
    /// Right before writing it, proves every lock this instance holds: a
    /// snapshot written after its lock was lost could name packs a prune has
    /// deleted meanwhile, so it throws `RepositoryError(.locked)` and writes nothing.
    public func saveSnapshot(_ snapshot: Snapshot) throws -> ObjectID {
        try cancellation.check()
        try flush()
        // A stop that came during the flush still keeps the snapshot out.
        try cancellation.check()
        try proveHeldLocks("no snapshot was written")
        let id = try saveDocument(DocumentJSON.encode(snapshot), kind: .snapshot)
        mutex.withLock { snapshotCache[id.hex] = snapshot }
        return id
    }

    /// Loads one snapshot, verifying the file's name and tag.
    public func loadSnapshot(_ id: ObjectID) throws -> Snapshot {
        if let cached = mutex.withLock({ snapshotCache[id.hex] }) { return cached }
        let object = "snapshot \(id.short)"
        let plaintext: [UInt8]
        do {
            plaintext = try loadDocument(kind: .snapshot, name: id.hex)
        } catch let error as BackendError where error.code == .notFound {
            throw RepositoryError(.notFound, "snapshot \(id.short) does not exist in \(backend.location); run `stackbackup snapshots` to list them")
        }
        let snapshot: Snapshot
        do {
            snapshot = try DocumentJSON.decode(Snapshot.self, from: plaintext)
        } catch {
            throw IntegrityError(object: object, problem: "is not a valid snapshot document (\(error))")
        }
        mutex.withLock { snapshotCache[id.hex] = snapshot }
        return snapshot
    }

    /// Every snapshot, oldest first; files that do not load are listed apart.
    public func listSnapshots() throws -> (snapshots: [SnapshotRecord], damaged: [(name: String, error: String)]) {
        var records: [SnapshotRecord] = []
        var damaged: [(name: String, error: String)] = []
        for (name, _) in try backend.list(.snapshot) {
            guard let id = ObjectID(hex: name) else {
                damaged.append((name, "is not named by a SHA-256"))
                continue
            }
            do {
                records.append(SnapshotRecord(id: id, snapshot: try loadSnapshot(id)))
            } catch {
                damaged.append((name, "\(error)"))
            }
        }
        records.sort { ($0.snapshot.time, $0.id) < ($1.snapshot.time, $1.id) }
        damaged.sort { $0.name < $1.name }
        return (records, damaged)
    }

    /// Finds a snapshot by a unique hex prefix (at least 4 digits), `SOURCE:latest`
    /// or `latest`; `source` narrows the candidates.
    /// When a snapshot document cannot be read, a spec that finds nothing
    /// throws `IntegrityError` naming that document (it may be the one asked
    /// for) instead of "no snapshot".
    public func resolveSnapshot(_ spec: String, source: String? = nil) throws -> SnapshotRecord {
        let listing = try listSnapshots()
        var candidates = listing.snapshots
        var sourceName = source
        var wantsLatest = spec == "latest"
        if spec.hasSuffix(":latest") {
            sourceName = String(spec.dropLast(":latest".count))
            wantsLatest = true
        }
        if let sourceName { candidates = candidates.filter { $0.snapshot.source == sourceName } }
        let scope = sourceName.map { " of source \"\($0)\"" } ?? ""
        if wantsLatest {
            guard let latest = candidates.last else {
                try Self.throwIfDamaged(listing.damaged, wanted: "the snapshot\(scope)")
                throw RepositoryError(.notFound, "there is no snapshot\(scope) in \(backend.location); run `stackbackup snapshots` to list them")
            }
            return latest
        }
        let prefix = spec.lowercased()
        guard prefix.utf8.count >= 4, prefix.utf8.count <= 64, [UInt8](hexString: prefix.utf8.count % 2 == 0 ? prefix : prefix + "0") != nil else {
            throw RepositoryError(.invalidArgument, "\"\(spec.prefix(80))\" is not a snapshot: give at least 4 hex digits of its id, SOURCE:latest or latest")
        }
        let matches = candidates.filter { $0.id.hex.hasPrefix(prefix) }
        switch matches.count {
        case 1:
            return matches[0]
        case 0:
            try Self.throwIfDamaged(listing.damaged.filter { $0.name.hasPrefix(prefix) }, wanted: "snapshot \(prefix)")
            throw RepositoryError(.notFound, "no snapshot\(scope) has an id starting with \(prefix); run `stackbackup snapshots` to list them")
        default:
            let listed = matches.prefix(5).map { "\($0.id.short) (\($0.snapshot.source))" }.joined(separator: ", ")
            throw RepositoryError(.ambiguous, "\(matches.count) snapshots have ids starting with \(prefix) (\(listed)); give more digits")
        }
    }

    /// Throws `IntegrityError` naming the snapshot documents that cannot be
    /// read, when there are any: for a caller that found no snapshot for
    /// `wanted` ("source X"), since an unreadable one may be it.
    public func throwIfSnapshotsDamaged(wanted: String) throws {
        try Self.throwIfDamaged(listSnapshots().damaged, wanted: wanted)
    }

    private static func throwIfDamaged(_ damaged: [(name: String, error: String)], wanted: String) throws {
        guard let first = damaged.first else { return }
        let more = damaged.count > 1 ? " and \(damaged.count - 1) more" : ""
        // The load error already names the file ("integrity damage in snapshots/…: …"); keep only its reason.
        var reason = first.error.components(separatedBy: "; run `stackbackup verify").first ?? first.error
        if reason.hasPrefix("integrity damage in "), let colon = reason.range(of: ": ") { reason = String(reason[colon.upperBound...]) }
        throw IntegrityError(object: "snapshot \(Handle(.snapshot, first.name).relativePath)\(more)",
                             problem: "cannot be read, so \(wanted) may be among the damaged (\(reason)); restore the file from a copy of the repository, or remove it")
    }

    /// The newest snapshot of a source, if any.
    public func latestSnapshot(source: String) throws -> SnapshotRecord? {
        try listSnapshots().snapshots.last { $0.snapshot.source == source }
    }

    /// The newest snapshot of every source of `kind`, by source name.
    public func latestSnapshots(kind: SourceKind) throws -> [String: SnapshotRecord] {
        var latest: [String: SnapshotRecord] = [:]
        for record in try listSnapshots().snapshots where record.snapshot.kind == kind {
            latest[record.snapshot.source] = record  // oldest first: the last one wins
        }
        return latest
    }

    /// Removes a snapshot document (its data stays until prune).
    public func removeSnapshot(_ id: ObjectID) throws {
        do {
            try backend.remove(Handle(.snapshot, id))
        } catch let error as BackendError where error.code == .notFound {
            throw RepositoryError(.notFound, "snapshot \(id.short) does not exist in \(backend.location)")
        }
        _ = mutex.withLock { snapshotCache.removeValue(forKey: id.hex) }
    }
}
