// Verify: integrity checks of a repository — file names against their
// SHA-256 (no key needed), structure (snapshots, trees, index, pack headers)
// and data (every selected blob decrypted, decompressed, id recomputed) —
// and the `DamageReport` that names what is damaged and which snapshots,
// files and tables it affects.

import Foundation

/// What a check found. Codable for `--json`; `isClean` when nothing is damaged.
public struct DamageReport: Codable, Sendable {
    public struct DamagedFile: Codable, Sendable, Equatable {
        /// Path inside the repository, e.g. `data/3f/3f…`.
        public var path: String
        public var reason: String
    }

    public struct DamagedBlob: Codable, Sendable, Equatable {
        public var type: String
        public var id: ObjectID
        /// The pack the index places it in, when known.
        public var pack: ObjectID?
        public var reason: String
    }

    public struct AffectedSnapshot: Codable, Sendable, Equatable {
        public var id: ObjectID
        public var kind: SourceKind
        public var source: String
        public var time: Date
        /// File paths (volume snapshots) or manifest items (database snapshots) that cannot be restored intact.
        public var items: [String]
    }

    public var damagedPacks: [DamagedFile] = []
    public var damagedIndexSegments: [DamagedFile] = []
    public var damagedSnapshots: [DamagedFile] = []
    /// Other files (locks, stray names) that fail the file-name check.
    public var damagedFiles: [DamagedFile] = []
    public var damagedBlobs: [DamagedBlob] = []
    /// Blobs a snapshot references that no index lists.
    public var missingBlobs: [DamagedBlob] = []
    public var affectedSnapshots: [AffectedSnapshot] = []

    public var filesChecked = 0
    public var packsChecked = 0
    public var packsRead = 0
    public var blobsRead = 0
    public var bytesRead: Int64 = 0
    /// The data slice read (index, of how many), for coverage tracking; nil unless a slice or `auto` was read.
    public var readSlice: Int?
    public var readSlices: Int?
    public var snapshotsChecked = 0
    public var treesChecked = 0
    /// Packs stored but in no index (left by an interrupted run; prune removes them). Not damage.
    public var unindexedPacks = 0

    public init() {}

    public var isClean: Bool {
        damagedPacks.isEmpty && damagedIndexSegments.isEmpty && damagedSnapshots.isEmpty && damagedFiles.isEmpty
            && damagedBlobs.isEmpty && missingBlobs.isEmpty && affectedSnapshots.isEmpty
    }

    /// The findings as table rows (what, object, details): every damaged
    /// object first, then each affected snapshot with what cannot be restored.
    public var rows: [[String]] {
        var rows: [[String]] = []
        for f in damagedPacks { rows.append(["pack", f.path, f.reason]) }
        for f in damagedIndexSegments { rows.append(["index segment", f.path, f.reason]) }
        for f in damagedSnapshots { rows.append(["snapshot file", f.path, f.reason]) }
        for f in damagedFiles { rows.append(["file", f.path, f.reason]) }
        for b in damagedBlobs { rows.append(["\(b.type) blob", b.id.short + (b.pack.map { " in pack \($0.short)" } ?? ""), b.reason]) }
        for b in missingBlobs { rows.append(["missing \(b.type) blob", b.id.short, b.reason]) }
        for s in affectedSnapshots {
            let items = s.items.prefix(20).joined(separator: ", ") + (s.items.count > 20 ? ", … (\(s.items.count) in all)" : "")
            rows.append(["affected snapshot", "\(s.id.short) \(s.kind.rawValue) \(s.source) \(Timestamp.format(s.time))", items])
        }
        return rows
    }

    /// One line per finding, for logs and error messages.
    public var summary: [String] {
        var lines: [String] = []
        for f in damagedPacks { lines.append("damaged pack \(f.path): \(f.reason)") }
        for f in damagedIndexSegments { lines.append("damaged index segment \(f.path): \(f.reason)") }
        for f in damagedSnapshots { lines.append("damaged snapshot \(f.path): \(f.reason)") }
        for f in damagedFiles { lines.append("damaged file \(f.path): \(f.reason)") }
        for b in damagedBlobs { lines.append("damaged \(b.type) blob \(b.id.short): \(b.reason)") }
        for b in missingBlobs { lines.append("missing \(b.type) blob \(b.id.short): \(b.reason)") }
        for s in affectedSnapshots {
            let items = s.items.prefix(20).joined(separator: ", ") + (s.items.count > 20 ? ", … (\(s.items.count) in all)" : "")
            lines.append("snapshot \(s.id.short) (\(s.kind.rawValue) \(s.source), \(Timestamp.format(s.time))) is affected: \(items)")
        }
        return lines
    }
}

/// Which packs `--read-data` reads.
public enum ReadDataSelection: Sendable, Equatable {
    case none
    case all
    /// Packs whose id falls in slice `index` of `of` equal slices (e.g. one of 7 nightly).
    case slice(index: Int, of: Int)
    /// About this fraction of packs, chosen by pack id so repeated runs agree.
    case fraction(Double)
    /// The nightly slice of `day` (see `AutoSlice`); the checker resolves it
    /// with the repository id. Unresolved, it reads slice `day mod 7`.
    case auto(day: Int)

    public func includes(_ pack: ObjectID) -> Bool {
        switch self {
        case .none: false
        case .all: true
        case let .slice(index, count): count > 0 && Int(pack.w0 % UInt64(count)) == index
        case let .fraction(f): Double(pack.w0 >> 11) / Double(UInt64(1) << 53) < f
        case let .auto(day): Int(pack.w0 % 7) == ((day % 7) + 7) % 7
        }
    }
}
