import Foundation

extension Repository {
    /// What `restore WHAT` means: a bare source name (its latest snapshot),
    /// an id prefix, or `SOURCE:latest`. A bare word that is neither a source
    /// nor a hex prefix says so instead of "not a snapshot id"; an unreadable
    /// snapshot document that may be the one asked for is named instead.
    public func resolveSnapshotOrSource(_ spec: String) throws -> SnapshotRecord {
        if !spec.contains(":"), let latest = try latestSnapshot(source: spec) { return latest }
        do {
            return try resolveSnapshot(spec)
        } catch let error as RepositoryError where (error.code == .notFound || error.code == .invalidArgument) && !spec.contains(":") {
            try throwIfSnapshotsDamaged(wanted: "a snapshot of source '\(spec)'")
            throw RepositoryError(.notFound, "no snapshot or source named '\(spec)'; list them with `stackbackup snapshots`")
        }
    }
}
