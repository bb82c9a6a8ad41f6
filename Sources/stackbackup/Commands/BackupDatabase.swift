import ArgumentParser
import Foundation
import StackBackupKit

extension Backup {
    struct Db: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "db",
            abstract: "Dump databases (default: all configured) through COPY, consistently and in parallel.",
            discussion: """
            Each database is read inside one exported snapshot shared by all workers; rows are copied in
            key order so unchanged rows deduplicate night after night. The connection comes from the
            config's `postgres:` section, else the PG* environment and ~/.pgpass.

            \(ExitStatus.table)
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var snapshotOptions: SnapshotOptions
        @Argument(help: "Database names (default: the config's `postgres.databases`, else immich umami backend authelia).")
        var names: [String] = []
        @Option(help: "Parallel COPY workers (default: the config's jobs, else 2).") var jobs: Int?

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                if snapshotOptions.dryRun { throw ValidationError("--dry-run is not supported for database dumps yet") }
                var settings = try context.config()?.postgres ?? PostgresSettings()
                if let jobs { settings.jobs = jobs }
                let databases = names.isEmpty ? settings.databases : names
                let repository = try context.openRepository()
                let time = try snapshotOptions.parsedTime()
                var failures = 0
                for database in databases {
                    let started = Date()
                    let console = context.console
                    console.info("dumping \(database)")
                    do {
                        let outcome = try DatabaseBackupJob.backup(database: database, settings: settings, repository: repository,
                                                                   tags: snapshotOptions.tags, time: time) { p in
                            console.progress("\(database): \(p.table.map { "\($0), " } ?? "")\(p.tablesDone)/\(p.tablesTotal) tables, \(p.rowsDone) rows, \(Format.bytes(p.bytesDone)), \(Format.rate(p.bytesDone, Date().timeIntervalSince(started)))")
                        }
                        for warning in outcome.warnings { console.warning("\(database): \(warning)") }
                        let s = outcome.snapshot.stats
                        if global.json {
                            try console.printJSON(DumpJSON(snapshot: outcome.snapshotID?.hex, database: database, stats: s, warnings: outcome.warnings))
                        } else {
                            console.info("\(database): snapshot \(outcome.snapshotID?.short ?? "-") saved: \(s.tables ?? 0) tables, \(s.rows ?? 0) rows, read \(Format.bytes(s.bytesRead)), added \(Format.bytes(s.bytesAdded)) in \(Format.duration(s.durationSeconds))")
                        }
                    } catch {
                        failures += 1
                        console.error("\(database): \(error)")
                        if databases.count == 1 { throw ExitCode(ExitStatus.of(error).rawValue) }
                    }
                }
                return failures == 0 ? .ok : (failures == databases.count ? .failure : .partial)
            }
        }
    }

    struct Globals: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dump roles, memberships and role settings (with password hashes when readable) as a `globals` snapshot.",
            discussion: ExitStatus.table)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var snapshotOptions: SnapshotOptions

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                let settings = try context.config()?.postgres ?? PostgresSettings()
                let repository = try context.openRepository()
                let outcome = try DatabaseBackupJob.backupGlobals(settings: settings, repository: repository, tags: snapshotOptions.tags,
                                                                  time: try snapshotOptions.parsedTime())
                for warning in outcome.warnings { context.console.warning(warning) }
                if global.json {
                    try context.console.printJSON(DumpJSON(snapshot: outcome.snapshotID?.hex, database: "globals", stats: outcome.snapshot.stats, warnings: outcome.warnings))
                } else {
                    context.console.info("globals: snapshot \(outcome.snapshotID?.short ?? "-") saved")
                }
                return .ok
            }
        }
    }
}

private struct DumpJSON: Encodable {
    let snapshot: String?, database: String, stats: SnapshotStats, warnings: [String]
}
