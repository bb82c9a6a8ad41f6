import Foundation

/// What `repair snapshots` did (or, for a dry run, would do). Codable for `--json`.
public struct SnapshotRepairReport: Codable, Sendable {
    /// One path (or database item) that a repair changed or could not save.
    public struct Item: Codable, Sendable, Equatable {
        public var path: String
        public var problem: String
    }

    /// A damaged volume snapshot and the snapshot written in its place.
    public struct Repaired: Codable, Sendable {
        public var original: ObjectID
        /// The new snapshot; nil in a dry run.
        public var repaired: ObjectID?
        public var source: String
        public var time: Date
        public var items: [Item]
        /// The original was removed (`--forget`).
        public var originalForgotten: Bool
    }

    /// A damaged snapshot no new snapshot was written for: a volume snapshot
    /// whose root tree is unreadable, or a database snapshot (see `RepairJob`).
    public struct Unrepaired: Codable, Sendable {
        public var snapshot: ObjectID
        public var kind: SourceKind
        public var source: String
        public var time: Date
        public var reason: String
        /// Database snapshots: each table or schema section with missing chunks.
        public var items: [Item]
        public var forgotten: Bool
    }

    public var snapshotsChecked = 0
    public var snapshotsIntact = 0
    public var repaired: [Repaired] = []
    public var unrepaired: [Unrepaired] = []
    /// Originals that an earlier repair already replaced (skipped).
    public var alreadyRepaired: [ObjectID] = []
    /// Those originals were removed (`--forget`).
    public var alreadyRepairedForgotten = false
    /// Snapshot documents that cannot be read at all (paths and reasons).
    public var unreadableDocuments: [Item] = []
    public var dryRun = false

    public init() {}

    /// Whether anything damaged was found.
    public var foundDamage: Bool { !repaired.isEmpty || !unrepaired.isEmpty || !unreadableDocuments.isEmpty }

    /// One line per snapshot, then a summary line.
    public var summary: String {
        var lines: [String] = []
        let would = dryRun ? "would write" : "wrote"
        for item in repaired {
            let target = item.repaired.map { " \($0.short)" } ?? ""
            lines.append("snapshot \(item.original.short) (\(item.source)): \(would) repaired snapshot\(target)"
                + (item.originalForgotten ? ", original \(dryRun ? "would be " : "")forgotten" : ", original kept"))
            lines += item.items.map { "  \($0.path): \($0.problem)" }
        }
        for item in unrepaired {
            lines.append("snapshot \(item.snapshot.short) (\(item.kind.rawValue) \(item.source)): not repaired, \(item.reason)"
                + (item.forgotten ? "; \(dryRun ? "would be " : "")forgotten" : ""))
            lines += item.items.map { "  \($0.path): \($0.problem)" }
        }
        if !alreadyRepaired.isEmpty {
            lines.append("\(alreadyRepaired.count) snapshot(s) already repaired by an earlier run: "
                + (alreadyRepairedForgotten ? (dryRun ? "originals would be forgotten" : "originals forgotten") : "skipped"))
        }
        for document in unreadableDocuments {
            lines.append("\(document.path): \(document.problem)")
        }
        lines.append("repair snapshots: \(snapshotsChecked) checked, \(snapshotsIntact) intact, \(repaired.count) \(dryRun ? "to repair" : "repaired"), "
            + "\(unrepaired.count) not repairable, \(unreadableDocuments.count) unreadable document(s)" + (dryRun ? " (dry run: nothing changed)" : ""))
        return lines.joined(separator: "\n")
    }
}
