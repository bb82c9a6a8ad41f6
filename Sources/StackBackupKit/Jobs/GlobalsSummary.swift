import Foundation

/// What a roles (`globals`) snapshot holds, for listings.
public enum GlobalsSummary {
    /// The snapshot's stats with its size and role and membership counts.
    /// Snapshots taken before these were recorded get them from their
    /// manifest; when that cannot be read the stats stay as recorded.
    public static func stats(of snapshot: Snapshot, loader: BlobLoader) -> SnapshotStats {
        var stats = snapshot.stats
        guard snapshot.kind == .globals, stats.roles == nil,
              let manifest = try? loader.loadJSON(GlobalsManifest.self, id: snapshot.root) else { return stats }
        stats.roles = manifest.roles.count
        stats.memberships = manifest.memberships.count
        if stats.bytesTotal == 0, let bytes = try? CanonicalJSON.encode(manifest) { stats.bytesTotal = Int64(bytes.count) }
        return stats
    }

    /// "3 roles, 1 membership".
    public static func describe(roles: Int, memberships: Int) -> String {
        "\(roles) role\(roles == 1 ? "" : "s"), \(memberships) membership\(memberships == 1 ? "" : "s")"
    }
}
