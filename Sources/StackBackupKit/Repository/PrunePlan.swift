/// What a prune will do, decided from the index segments, the stored packs and
/// the set of live blobs (`Repository.planPrune`), carried out by
/// `Repository.executePrune`. Computing a plan reads index segments and lists
/// packs; it writes nothing, so a dry run is a plan that is not executed.
public struct PrunePlan: Sendable {
    /// A pack whose live blobs are copied into new packs before it is removed.
    public struct Repack: Sendable {
        public var pack: IndexSegment.PackRecord
        /// The blobs to copy (the live copy of each), in pack order.
        public var blobs: [IndexSegment.BlobRecord]
    }

    /// Packs kept as they are, in index order; the new index segment lists them.
    public var keep: [IndexSegment.PackRecord] = []
    public var repack: [Repack] = []
    /// Packs to remove whole: nothing live (indexed), or in no index at all.
    public var delete: [(id: ObjectID, size: Int)] = []
    /// Indexed packs that are not stored and hold nothing live: dropped from the index.
    public var missing: [ObjectID] = []
    /// Every index segment file present, all superseded by the new segment.
    public var oldSegments: [ObjectID] = []

    public var blobsLive = 0
    /// Index entries that do not survive (dead blobs, duplicate copies).
    public var blobsRemoved = 0
    /// Sealed bytes of the live blobs to copy.
    public var bytesToRepack: Int64 = 0
    /// Dead blob bytes left in kept packs (below the repack threshold).
    public var bytesUnusedRemaining: Int64 = 0

    /// Bytes of the packs to delete whole.
    public var bytesDeleted: Int64 { delete.reduce(0) { $0 + Int64($1.size) } }
    /// Bytes of the packs to repack (removed after the copy).
    public var bytesOfRepackedPacks: Int64 { repack.reduce(0) { $0 + Int64($1.pack.size) } }

    /// Whether executing would change anything: packs to delete or repack,
    /// missing packs to drop from the index, or several segments to merge.
    public var hasWork: Bool {
        !delete.isEmpty || !repack.isEmpty || !missing.isEmpty || oldSegments.count > 1
    }
}

/// What executing a plan did.
public struct PruneOutcome: Sendable {
    public var packsWritten = 0
    public var bytesWritten: Int64 = 0
    public var newSegment: ObjectID?
    public var segmentsRemoved = 0
    public var packsRemoved = 0
}
