import ArgumentParser
import Foundation
import StackBackupKit

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take snapshots: databases, roles (globals), volumes from the config, or any folder.",
        discussion: ExitStatus.table,
        subcommands: [Volume.self, Path.self, Db.self, Globals.self])
}

/// Options shared by every kind of backup.
struct SnapshotOptions: ParsableArguments {
    @Option(name: .customLong("tag"), help: ArgumentHelp("Add a tag to the snapshot (repeatable).", valueName: "tag"))
    var tags: [String] = []

    @Option(help: ArgumentHelp("Record this time instead of now, e.g. '2026-11-20 03:00:00' or ISO 8601 (for imports and tests).", valueName: "time"))
    var time: String?

    @Flag(help: "Read and chunk everything, report what would be added, write nothing.")
    var dryRun = false

    func parsedTime() throws -> Date? {
        guard let time else { return nil }
        if let date = Timestamp.parse(time) { return date }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        for format in ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: time) { return date }
        }
        throw ValidationError("--time '\(time)' is not a time; use 'YYYY-MM-DD HH:MM:SS' (local time) or ISO 8601")
    }
}

extension Backup {
    struct Volume: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Back up the volumes named in the config (default: all).",
            discussion: "Incremental: files whose size, mtime, ctime and inode are unchanged since the last snapshot of the volume are not read again.\n\n\(ExitStatus.table)")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var snapshotOptions: SnapshotOptions
        @Argument(help: "Volume names from the config's `volumes:` (default: all).") var names: [String] = []

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                let config = try context.requireConfig(for: "`backup volume`")
                let selected = try BackupVolumesJob.select(names, from: config)
                let repository = try context.openRepository()
                let time = try snapshotOptions.parsedTime()
                let requests = selected.map {
                    BackupVolumesJob.request($0, tags: snapshotOptions.tags, time: time, dryRun: snapshotOptions.dryRun)
                }
                let reporter = BackupReporter(context)
                let batch = BackupVolumesJob.run(requests, repository: repository) { event in
                    switch event {
                    case .started(let request): reporter.started(request)
                    case .progress(_, let p): reporter.progress(p)
                    case .finished(let request, let outcome): try reporter.finished(request, outcome)
                    case .failed(let name, let error): context.console.error("\(name): \(error)")
                    }
                }
                return try ExitStatus.of(batch)
            }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Back up any folder as a volume snapshot under the given name.",
            discussion: "Example: stackbackup backup path /srv/authelia --name authelia-config\n\n\(ExitStatus.table)")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var snapshotOptions: SnapshotOptions
        @Argument(help: "The folder to back up.") var directory: String
        @Option(help: "The source name the snapshot is filed under (its parent is the newest snapshot of this name).") var name: String
        @Option(name: .customLong("exclude"), help: ArgumentHelp("Skip paths matching this glob, relative to the folder (repeatable).", valueName: "glob"))
        var excludes: [String] = []
        @Option(name: .customLong("keep"), help: ArgumentHelp("Back up paths matching this glob even when an --exclude covers them (repeatable); an Immich folder's `.immich` markers are always kept.", valueName: "glob"))
        var keeps: [String] = []
        @Option(name: .customLong("sqlite"), help: ArgumentHelp("Copy SQLite files matching this glob with SQLite's online backup API (repeatable).", valueName: "glob"))
        var sqlite: [String] = []
        @Flag(help: "Do not cross into other file systems.") var oneFileSystem = false

        func validate() throws {
            guard !name.isEmpty, !name.contains(":"), !name.contains("/") else {
                throw ValidationError("--name must be non-empty and contain neither ':' nor '/'")
            }
        }

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                let repository = try context.openRepository()
                var request = VolumeBackupRequest(name: name, path: directory)
                request.excludes = excludes
                request.keeps = VolumeSettings(name: name, path: directory, keep: keeps).keepPatterns
                request.sqliteGlobs = sqlite
                request.oneFileSystem = oneFileSystem
                request.tags = snapshotOptions.tags
                request.time = try snapshotOptions.parsedTime()
                request.dryRun = snapshotOptions.dryRun
                return try BackupReporter(context).run(request, repository: repository).isPartial ? .partial : .ok
            }
        }
    }
}

/// Prints one volume backup: a progress line and its summary. A partial
/// backup (entries skipped) gets one warning line naming them.
final class BackupReporter {
    let context: CommandContext
    private var startedAt = Date()
    init(_ context: CommandContext) { self.context = context }

    /// One backup through `VolumeBackupJob` (`backup path`).
    @discardableResult
    func run(_ request: VolumeBackupRequest, repository: Repository) throws -> VolumeBackupOutcome {
        started(request)
        let outcome = try VolumeBackupJob.run(request, repository: repository) { [self] p in progress(p) }
        try finished(request, outcome)
        return outcome
    }

    func started(_ request: VolumeBackupRequest) {
        startedAt = Date()
        context.console.info("backing up \(request.name) (\(request.path))\(request.dryRun ? " — dry run" : "")")
    }

    func progress(_ p: BackupProgress) {
        context.console.progress(Self.progressLine(p, since: startedAt))
    }

    func finished(_ request: VolumeBackupRequest, _ outcome: VolumeBackupOutcome) throws {
        let console = context.console
        for note in outcome.notes { console.warning(note) }
        for entry in outcome.skipped { console.detail(entry.message) }
        let s = outcome.snapshot.stats
        let saved = "\(request.name): " + (outcome.snapshotID.map { "snapshot \($0.short) saved" } ?? "dry run: nothing written")
        if outcome.isPartial {
            console.warning(saved + ", " + SkippedEntry.summary(of: outcome.skipped, seeAlso: "--json"))
        }
        if context.options.json {
            try console.printJSON(BackupJSON(snapshot: outcome.snapshotID?.hex, source: request.name, dryRun: request.dryRun,
                                             parent: outcome.parent?.hex, stats: StatsJSON(s), skipped: outcome.skipped,
                                             warnings: outcome.warnings))
        } else {
            console.info("""
            \(saved)\(outcome.isPartial ? " (partial: \(outcome.skipped.count) skipped)" : "")
              files: \(s.filesNew) new, \(s.filesChanged) changed, \(s.filesUnchanged) unchanged; \(s.directories) folders
              read \(Format.bytes(s.bytesRead)) of \(Format.bytes(s.bytesTotal)), added \(Format.bytes(s.bytesAdded)) to the repository \
            in \(Format.duration(s.durationSeconds)) (\(Format.rate(s.bytesRead, s.durationSeconds)))
            """)
        }
    }

    static func progressLine(_ p: BackupProgress, since started: Date) -> String {
        let elapsed = Date().timeIntervalSince(started)
        var line = "\(p.filesDone) files, \(Format.bytes(p.bytesDone))"
        if let total = p.bytesTotal, total > 0 {
            let share = Double(p.bytesDone) / Double(total)
            line += String(format: " of %@ (%.0f%%)", Format.bytes(total), share * 100)
            if share > 0.01 { line += ", ETA " + Format.duration(elapsed / share - elapsed) }
        }
        return line + ", " + Format.rate(p.bytesDone, elapsed)
    }
}

private struct BackupJSON: Encodable {
    let snapshot: String?, source: String, dryRun: Bool, parent: String?, stats: StatsJSON
    /// Every entry the snapshot lacks or holds while it was changing (empty when whole).
    let skipped: [SkippedEntry]
    let warnings: [String]
    enum CodingKeys: String, CodingKey { case snapshot, source, dryRun = "dry_run", parent, stats, skipped, warnings }
}
