import ArgumentParser
import Foundation
import StackBackupKit

struct Snapshots: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List snapshots, oldest first.", discussion: ExitStatus.table)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only snapshots of this source (a volume or database source name, or `globals`/`globals-SERVER`).") var source: String?
    @Option(help: "Only snapshots carrying this tag.") var tag: String?

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let repository = try context.openRepository()
            let listing = try repository.listSnapshots()
            let records = listing.snapshots.filter { record in
                (source == nil || record.snapshot.source == source) && (tag == nil || record.snapshot.tags.contains(tag!))
            }
            // Older roles snapshots recorded no size or counts: read from their manifest.
            let stats = records.map { GlobalsSummary.stats(of: $0.snapshot, loader: repository) }
            for damaged in listing.damaged { context.console.warning("snapshot \(damaged.name) cannot be read: \(damaged.error)") }
            if global.json {
                try context.console.printJSON(zip(records, stats).map { SnapshotJSON($0, stats: $1) })
            } else {
                // A Server column only once snapshots come from a server other than `default`.
                let servers = records.contains { r in r.snapshot.server.map { $0 != Snapshot.defaultServer } ?? false }
                let rows = zip(records, stats).map { r, stats in
                    [r.id.short, Format.time(r.snapshot.time), r.snapshot.kind.rawValue, r.snapshot.source]
                        + (servers ? [r.snapshot.kind == .volume ? "" : r.snapshot.serverName] : []) + [r.snapshot.host,
                     Format.bytes(stats.bytesTotal), Self.contents(stats), r.snapshot.tags.joined(separator: ",")]
                }
                let header = ["ID", "Time", "Kind", "Source"] + (servers ? ["Server"] : []) + ["Host", "Size", "Contents", "Tags"]
                context.console.output(Format.table(header, rows))
                context.console.info("\(records.count) snapshot(s)")
            }
            return listing.damaged.isEmpty ? .ok : .damaged
        }
    }

    /// "12 tables, 48,213 rows" for a database, "1,204 files" for a volume, "5 roles, 2 memberships" for globals.
    static func contents(_ stats: SnapshotStats) -> String {
        if let roles = stats.roles { return GlobalsSummary.describe(roles: roles, memberships: stats.memberships ?? 0) }
        if let tables = stats.tables, let rows = stats.rows {
            return "\(tables) table\(tables == 1 ? "" : "s"), \(Format.count(rows)) rows"
        }
        let files = stats.filesNew + stats.filesChanged + stats.filesUnchanged
        return files > 0 ? "\(Format.count(Int64(files))) file\(files == 1 ? "" : "s")" : ""
    }
}

struct SnapshotJSON: Encodable {
    let id: String, shortID: String, time: Date, host: String, kind: String, source: String, tags: [String]
    let parent: String?, path: String?, root: String, stats: StatsJSON, toolVersion: String, serverVersion: Int?
    /// The configured server of a database or globals snapshot (`default` when unrecorded).
    let server: String?

    init(_ r: SnapshotRecord, stats: SnapshotStats? = nil) {
        let s = r.snapshot
        id = r.id.hex; shortID = r.id.short; time = s.time; host = s.host; kind = s.kind.rawValue; source = s.source
        tags = s.tags; parent = s.parent?.hex; path = s.path; root = s.root.hex; self.stats = StatsJSON(stats ?? s.stats)
        toolVersion = s.toolVersion; serverVersion = s.serverVersion
        server = s.kind == .volume ? nil : s.serverName
    }

    enum CodingKeys: String, CodingKey {
        case id, shortID = "short_id", time, host, kind, source, tags, parent, path, root, stats
        case toolVersion = "tool_version", serverVersion = "server_version", server
    }
}
