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
                guard !targets.isEmpty else {
                    throw RepositoryError(.invalidArgument, "no database to back up: the config has no `postgres:` section (or its servers list no databases); add one with `databases: [...]`")
                }
                if let jobs { for i in targets.indices { targets[i].server.jobs = jobs } }
                let named = config.servers.count > 1
                let repository = try context.openRepository()
                let time = try snapshotOptions.parsedTime()
                let console = context.console
                var started = Date()
                let batch = BackupDatabasesJob.run(targets, repository: repository, tags: snapshotOptions.tags, time: time) { event in
                    switch event {
                    case .started(let target):
                        started = Date()
                        console.info("dumping \(target.database)\(named ? " on server \(target.server.name)" : "")")
                    case .progress(let target, let p):
                        console.progress("\(target.source): \(p.table.map { "\($0), " } ?? "")\(p.tablesDone)/\(p.tablesTotal) tables, \(p.rowsDone) rows, \(Format.bytes(p.bytesDone)), \(Format.rate(p.bytesDone, Date().timeIntervalSince(started)))")
                    case .finished(let label, let database, let server, let outcome):
                        for warning in outcome.warnings { console.warning("\(label): \(warning)") }
                        let s = outcome.snapshot.stats
                        if global.json {
                            try console.printJSON(DumpJSON(snapshot: outcome.snapshotID?.hex, database: database,
                                                           source: label, server: server.name, stats: s, warnings: outcome.warnings))
                        } else {
                            console.info("\(label): snapshot \(outcome.snapshotID?.short ?? "-") saved: \(s.tables ?? 0) tables, \(s.rows ?? 0) rows, read \(Format.bytes(s.bytesRead)), added \(Format.bytes(s.bytesAdded)) in \(Format.duration(s.durationSeconds))")
                        }
                    case .failed(let label, let error):
                        console.error("\(label): \(error)")
                    }
                }
                return try ExitStatus.of(batch)
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
                    throw ServerSelectionError("the config lists no PostgreSQL servers (no `postgres:` section, or `postgres: []`): there are no roles to dump")
                }
                let repository = try context.openRepository()
                let time = try snapshotOptions.parsedTime()
                let batch = BackupDatabasesJob.runGlobals(servers, repository: repository, tags: snapshotOptions.tags, time: time) { event in
                    switch event {
                    case .finished(let label, _, let settings, let outcome):
                        for warning in outcome.warnings { context.console.warning("\(label): \(warning)") }
                        if global.json {
                            try context.console.printJSON(DumpJSON(snapshot: outcome.snapshotID?.hex, database: "globals", source: label,
                                                                   server: settings.name, stats: outcome.snapshot.stats, warnings: outcome.warnings))
                        } else {
                            let stats = outcome.snapshot.stats
                            let held = GlobalsSummary.describe(roles: stats.roles ?? 0, memberships: stats.memberships ?? 0)
                            context.console.info("\(label): snapshot \(outcome.snapshotID?.short ?? "-") saved: \(held), \(Format.bytes(stats.bytesTotal))")
                        }
                    case .failed(let label, let error):
                        context.console.error("\(label): \(error)")
                    case .started, .progress:
                        break
                    }
                }
                return try ExitStatus.of(batch)
            }
        }
    }
}

private struct DumpJSON: Encodable {
    let snapshot: String?, database: String, source: String, server: String, stats: SnapshotStats, warnings: [String]
}
