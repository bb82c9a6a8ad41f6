/// What `repair index` did. Codable for `--json`.
public struct IndexRepairReport: Codable, Sendable {
    /// A pack whose sealed header could not be read: damage, named.
    public struct UnreadablePack: Codable, Sendable, Equatable {
        /// Path inside the repository, e.g. `data/3f/3f…`.
        public var path: String
        public var reason: String
        /// True when a readable old index segment listed this pack with the same
        /// size: its blobs stay indexed from that record (each is still verified on read).
        public var keptFromOldIndex: Bool
    }

    public var packsStored = 0
    /// Packs whose header was read and indexed.
    public var packsRead = 0
    /// Distinct blobs in the new index.
    public var blobsIndexed = 0
    /// Blobs the old (loadable) index did not know: they were in a damaged or missing segment.
    public var blobsRecovered = 0
    /// Blobs the old index listed in packs that are gone or unreadable: lost.
    public var blobsDropped = 0
    public var segmentsWritten = 0
    public var segmentsRemoved = 0
    /// Old segments that could not be loaded (paths), among those removed.
    public var damagedSegmentsRemoved: [String] = []
    public var unreadablePacks: [UnreadablePack] = []
    /// Packs the old index listed that are not stored (ids).
    public var missingPacks: [String] = []

    public init() {}

    /// Two to four lines for the console.
    public var summary: String {
        var lines = ["repair index: read \(packsRead) of \(packsStored) pack header(s), indexed \(blobsIndexed) blob(s) "
            + "(\(blobsRecovered) recovered); wrote \(segmentsWritten) index segment(s), removed \(segmentsRemoved) "
            + "(\(damagedSegmentsRemoved.count) damaged)"]
        for pack in unreadablePacks {
            lines.append("damaged pack \(pack.path): \(pack.reason)" + (pack.keptFromOldIndex ? " (its blobs stay indexed from the old index)" : " (not indexed)"))
        }
        if !missingPacks.isEmpty {
            lines.append("\(missingPacks.count) pack(s) listed by the old index are missing; \(blobsDropped) blob(s) in them are lost "
                + "(run `stackbackup repair snapshots` to write snapshots without them)")
        }
        return lines.joined(separator: "\n")
    }
}
