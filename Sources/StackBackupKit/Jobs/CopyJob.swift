import Foundation

/// What `stackbackup copy` should copy.
public struct CopyRequest: Sendable {
    /// Only snapshots of these sources; empty: every source.
    public var sources: [String] = []
    /// Only these snapshots (hex prefixes, `SOURCE:latest`, `latest`); empty: all that match `sources`.
    public var snapshots: [String] = []
    /// Threads that load blobs from the source and save them into the target.
    public var parallelism = max(2, min(8, ProcessInfo.processInfo.activeProcessorCount * 2))
    /// The target is flushed (open packs and the index written) after this
    /// many stored bytes, so an interrupted copy keeps most of its work.
    public var flushEvery: Int64 = 256 << 20
    /// Seconds to wait for a conflicting lock on either repository.
    /// Nil: each repository's `lockWait`.
    public var lockWait: TimeInterval?

    public init(sources: [String] = [], snapshots: [String] = []) {
        self.sources = sources
        self.snapshots = snapshots
    }
}

/// Where a copy stands, reported after each batch of blobs.
public struct CopyProgress: Sendable {
    public var snapshotsDone: Int
    public var snapshotsTotal: Int
    /// The snapshot being copied ("source id").
    public var current: String
    public var blobsCopied: Int
    public var bytesCopied: Int64
}

/// One snapshot copied: its id in the source and the id of the new document in the target.
public struct CopiedSnapshot: Sendable, Codable {
    public var source: String
    public var kind: SourceKind
    public var sourceID: ObjectID
    public var targetID: ObjectID

    enum CodingKeys: String, CodingKey { case source, kind, sourceID = "source_id", targetID = "target_id" }
}

public struct CopyOutcome: Sendable, Codable {
    public var copied: [CopiedSnapshot] = []
    /// Source snapshots the target already holds (a copy of them, or they are copies of its own).
    public var alreadyPresent: [ObjectID] = []
    /// Blobs loaded from the source and saved into the target.
    public var blobsCopied = 0
    /// Plaintext bytes of those blobs.
    public var bytesCopied: Int64 = 0
    /// Stored bytes the target grew by (new packs), after its own dedup.
    public var bytesAdded: Int64 = 0
    /// True when both repositories share the id key (`init --copy-chunker-from`):
    /// trees and manifests were copied unchanged.
    public var sharedBlobIDs = false

    enum CodingKeys: String, CodingKey {
        case copied, alreadyPresent = "already_present", blobsCopied = "blobs_copied", bytesCopied = "bytes_copied"
        case bytesAdded = "bytes_added", sharedBlobIDs = "shared_blob_ids"
    }
}

/// Copies snapshots from one repository to another (`stackbackup copy`).
///
/// Blobs are decrypted from the source and saved into the target under its
/// own keys; only blobs the target lacks are stored. When the two
/// repositories have different id keys, data blob ids differ, so trees and
/// database manifests are rewritten with the target's ids; the mapping of
/// unchanged data comes from the pair (source snapshot, its earlier copy),
/// so a nightly copy reads only what changed. When they share the id key
/// (`init --copy-chunker-from`) ids are equal and trees copy byte for byte.
///
/// Idempotent: a copied snapshot records its original's id (`copied_from`),
/// and snapshots whose original the target already holds are skipped.
/// Resumable: the target is flushed periodically and a copied snapshot is
/// written only after all it references is durable, so a rerun after a crash
/// skips stored blobs (and finished snapshots) and never duplicates a snapshot.
public enum CopyJob {
    /// Stopped by the source repository's cancellation, it throws
    /// `InterruptedError` naming how many snapshots were copied whole; the
    /// snapshot being copied is not written, and a rerun continues.
    public static func run(from source: Repository, to target: Repository, request: CopyRequest = CopyRequest(),
                           progress: ((CopyProgress) -> Void)? = nil) throws -> CopyOutcome {
        var outcome = CopyOutcome()
        do {
            try copy(from: source, to: target, request: request, progress: progress, outcome: &outcome)
        } catch {
            guard let reason = source.cancellation.reason ?? target.cancellation.reason else { throw error }
            throw InterruptedError(reason: reason, detail: "\(outcome.copied.count) snapshot(s) were copied whole and the one in progress was not written; run the copy again to continue (it skips what the target holds)")
        }
        return outcome
    }

    private static func copy(from source: Repository, to target: Repository, request: CopyRequest,
                             progress: ((CopyProgress) -> Void)?, outcome: inout CopyOutcome) throws {
        guard source.config.id != target.config.id else {
            throw RepositoryError(.invalidArgument, "the source and the target of the copy are the same repository (\(target.backend.location)); give a different --to")
        }
        let sourceLock = try source.lock(exclusive: false, command: "copy to \(target.backend.location)", wait: request.lockWait)
        defer { try? sourceLock.release() }
        let targetLock = try target.lock(exclusive: false, command: "copy from \(source.backend.location)", wait: request.lockWait)
        defer { try? targetLock.release() }

        let all = try source.listSnapshots().snapshots
        let selected = try select(all, source: source, request: request)
        var inTarget: [ObjectID: SnapshotRecord] = [:]
        for record in try target.listSnapshots().snapshots { inTarget[record.originalID] = record }

        let walker = CopyWalker(source: source, target: target, parallelism: request.parallelism,
                                flushEvery: request.flushEvery)
        outcome.sharedBlobIDs = walker.shared
        let addedBefore = target.stats.bytesAdded
        let todo = selected.filter { inTarget[$0.originalID] == nil }
        outcome.alreadyPresent = selected.filter { inTarget[$0.originalID] != nil }.map(\.id)
        let byID = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })

        for (done, record) in todo.enumerated() {
            let label = "\(record.snapshot.source) \(record.id.short)"
            walker.report = { blobs, bytes in
                progress?(CopyProgress(snapshotsDone: done, snapshotsTotal: todo.count, current: label,
                                       blobsCopied: blobs, bytesCopied: bytes))
            }
            let parentRecord = record.snapshot.parent.flatMap { byID[$0] }
            let hint = hintPair(for: record, parent: parentRecord, all: all, inTarget: inTarget)
            let root = try walker.copyRoot(kind: record.snapshot.kind, id: record.snapshot.root,
                                           hint: hint.map { ($0.source.snapshot.root, $0.target.snapshot.root) })
            var copy = record.snapshot
            copy.root = root
            copy.parent = parentRecord.flatMap { inTarget[$0.originalID]?.id }
            copy.copiedFrom = record.originalID
            let id = try target.saveSnapshot(copy)
            walker.snapshotSaved()
            let saved = SnapshotRecord(id: id, snapshot: copy)
            inTarget[saved.originalID] = saved
            outcome.copied.append(CopiedSnapshot(source: copy.source, kind: copy.kind, sourceID: record.id, targetID: id))
        }
        try target.flush()
        outcome.blobsCopied = walker.blobsCopied
        outcome.bytesCopied = walker.bytesCopied
        outcome.bytesAdded = target.stats.bytesAdded - addedBefore
    }

    /// The snapshots to copy, oldest first.
    static func select(_ all: [SnapshotRecord], source: Repository, request: CopyRequest) throws -> [SnapshotRecord] {
        let sources = Set(request.sources)
        if request.snapshots.isEmpty {
            return sources.isEmpty ? all : all.filter { sources.contains($0.snapshot.source) }
        }
        var chosen: [ObjectID: SnapshotRecord] = [:]
        for spec in request.snapshots {
            let record = try source.resolveSnapshot(spec, source: request.sources.count == 1 ? request.sources[0] : nil)
            if sources.isEmpty || sources.contains(record.snapshot.source) { chosen[record.id] = record }
        }
        return chosen.values.sorted { ($0.snapshot.time, $0.id) < ($1.snapshot.time, $1.id) }
    }

    /// A source snapshot of the same source that the target already holds a
    /// copy of — the parent if it was copied, else the newest older one — so
    /// the walker can map unchanged blobs without reading them.
    static func hintPair(for record: SnapshotRecord, parent: SnapshotRecord?, all: [SnapshotRecord],
                         inTarget: [ObjectID: SnapshotRecord]) -> (source: SnapshotRecord, target: SnapshotRecord)? {
        if let parent, parent.snapshot.kind == record.snapshot.kind, let copy = inTarget[parent.originalID] {
            return (parent, copy)
        }
        let candidates = all.filter {
            $0.snapshot.source == record.snapshot.source && $0.snapshot.kind == record.snapshot.kind
                && $0.id != record.id && $0.snapshot.time <= record.snapshot.time && inTarget[$0.originalID] != nil
        }
        guard let best = candidates.last, let copy = inTarget[best.originalID] else { return nil }
        return (best, copy)
    }
}
