import StackBackupKit

/// Snapshot statistics as the CLI prints them in `--json`: snake_case keys
/// like every other field of the CLI's JSON (the stored snapshot documents
/// keep their own keys).
struct StatsJSON: Encodable {
    let stats: SnapshotStats
    init(_ stats: SnapshotStats) { self.stats = stats }

    enum CodingKeys: String, CodingKey {
        case filesNew = "files_new", filesChanged = "files_changed", filesUnchanged = "files_unchanged", directories
        case bytesRead = "bytes_read", bytesTotal = "bytes_total", bytesAdded = "bytes_added", blobsAdded = "blobs_added"
        case durationSeconds = "duration_seconds", tables, rows, entriesSkipped = "entries_skipped"
        case roles, memberships
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(stats.filesNew, forKey: .filesNew)
        try c.encode(stats.filesChanged, forKey: .filesChanged)
        try c.encode(stats.filesUnchanged, forKey: .filesUnchanged)
        try c.encode(stats.directories, forKey: .directories)
        try c.encode(stats.bytesRead, forKey: .bytesRead)
        try c.encode(stats.bytesTotal, forKey: .bytesTotal)
        try c.encode(stats.bytesAdded, forKey: .bytesAdded)
        try c.encode(stats.blobsAdded, forKey: .blobsAdded)
        try c.encode(stats.durationSeconds, forKey: .durationSeconds)
        try c.encodeIfPresent(stats.tables, forKey: .tables)
        try c.encodeIfPresent(stats.rows, forKey: .rows)
        try c.encodeIfPresent(stats.entriesSkipped, forKey: .entriesSkipped)
        try c.encodeIfPresent(stats.roles, forKey: .roles)
        try c.encodeIfPresent(stats.memberships, forKey: .memberships)
    }
}
