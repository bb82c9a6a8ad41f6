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
            config's `postgres:` server holding the database, else the PG* environment and ~/.pgpass.
            A name is a snapshot source or a database name; one on several servers needs --server.

            \(ExitStatus.table)
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var snapshotOptions: SnapshotOptions
        @Argument(help: "Database or source names (default: every database of the config's `postgres:` servers, else immich umami backend authelia).")
        var names: [String] = []
        @Option(help: ArgumentHelp("Only this configured server (its `name:` under `postgres:`); says where a database name on several servers is meant.", valueName: "name"))
        var server: String?
        @Option(help: "Parallel COPY workers (default: the server's jobs, else 2).") var jobs: Int?

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                if snapshotOptions.dryRun { throw ValidationError("--dry-run is not supported for database dumps yet") }
                let config = try context.stackConfig()
                var targets = try config.databaseTargets(names, server: server)
                if let jobs { for i in targets.indices { targets[i].server.jobs = jobs } }
                let named = config.servers.count > 1
                let repository = try context.openRepository()
                let time = try snapshotOptions.parsedTime()
                var failures = 0
                for target in targets {
                    let started = Date()
                    let console = context.console
                    let label = target.source
                    console.info("dumping \(target.database)\(named ? " on server \(target.server.name)" : "")")
                    do {
                        let outcome = try DatabaseBackupJob.backup(database: target.database, settings: target.server, source: target.source,
                                                                   repository: repository, tags: snapshotOptions.tags, time: time) { p in
                            console.progress("\(label): \(p.table.map { "\($0), " } ?? "")\(p.tablesDone)/\(p.tablesTotal) tables, \(p.rowsDone) rows, \(Format.bytes(p.bytesDone)), \(Format.rate(p.bytesDone, Date().timeIntervalSince(started)))")
                        }
                        for warning in outcome.warnings { console.warning("\(label): \(warning)") }
                        let s = outcome.snapshot.stats
                        if global.json {
                            try console.printJSON(DumpJSON(snapshot: outcome.snapshotID?.hex, database: target.database, source: label,
                                                           server: target.server.name, stats: s, warnings: outcome.warnings))
                        } else {
                            console.info("\(label): snapshot \(outcome.snapshotID?.short ?? "-") saved: \(s.tables ?? 0) tables, \(s.rows ?? 0) rows, read \(Format.bytes(s.bytesRead)), added \(Format.bytes(s.bytesAdded)) in \(Format.duration(s.durationSeconds))")
                        }
                    } catch let error as InterruptedError {
                        throw error  // a stop ends the whole command, not one source
                    } catch {
                        failures += 1
                        console.error("\(label): \(error)")
                        if targets.count == 1 { throw ExitCode(ExitStatus.of(error).rawValue) }
                    }
                }
                return failures == 0 ? .ok : (failures == targets.count ? .failure : .partial)
            }
        }
    }

    struct Globals: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dump roles, memberships and role settings (with password hashes when readable): one snapshot per server.",
            discussion: """
            Each configured server's roles are filed as `globals` (the server named `default`, as in the
            single-mapping form of `postgres:`) or `globals-NAME`; `restore DB --with-roles` uses those of
            the server the database snapshot was taken from.

            \(ExitStatus.table)
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var snapshotOptions: SnapshotOptions
        @Option(help: ArgumentHelp("Only this configured server (default: every server).", valueName: "name"))
        var server: String?

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                let servers = try context.stackConfig().servers(selecting: server)
                guard !servers.isEmpty else {
                    throw ServerSelectionError("the config lists no PostgreSQL servers (`postgres: []`): there are no roles to dump")
                }
                let repository = try context.openRepository()
                let time = try snapshotOptions.parsedTime()
                var failures = 0
                for settings in servers {
                    let label = settings.globalsSource
                    do {
                        let outcome = try DatabaseBackupJob.backupGlobals(settings: settings, repository: repository, tags: snapshotOptions.tags, time: time)
                        for warning in outcome.warnings { context.console.warning("\(label): \(warning)") }
                        if global.json {
                            try context.console.printJSON(DumpJSON(snapshot: outcome.snapshotID?.hex, database: "globals", source: label,
                                                                   server: settings.name, stats: outcome.snapshot.stats, warnings: outcome.warnings))
                        } else {
                            context.console.info("\(label): snapshot \(outcome.snapshotID?.short ?? "-") saved")
                        }
                    } catch let error as InterruptedError {
                        throw error  // a stop ends the whole command, not one source
                    } catch {
                        failures += 1
                        context.console.error("\(label): \(error)")
                        if servers.count == 1 { throw ExitCode(ExitStatus.of(error).rawValue) }
                    }
                }
                return failures == 0 ? .ok : (failures == servers.count ? .failure : .partial)
            }
        }
    }
}

private struct DumpJSON: Encodable {
    let snapshot: String?, database: String, source: String, server: String, stats: SnapshotStats, warnings: [String]
}
