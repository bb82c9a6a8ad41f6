import Foundation

extension Checker {
    /// The blobs of a database snapshot's manifest (schema archive or SQL
    /// sections, every table part, every large object), so the structure check
    /// finds a missing or damaged data blob of a database dump, not only of a
    /// folder. A globals manifest references no other blob.
    public static let databaseManifests: ManifestBlobs = { id, loader in
        let manifest: DatabaseManifest
        do {
            manifest = try loader.loadJSON(DatabaseManifest.self, id: id)
        } catch {
            // Not a database manifest: a globals one is fine, anything else is the damage reported.
            if (try? loader.loadJSON(GlobalsManifest.self, id: id)) != nil { return [] }
            throw error
        }
        return manifest.referencedBlobs.map { (item: $0.item, blobs: $0.blobs.map { (BlobType.data, $0) }) }
    }
}
