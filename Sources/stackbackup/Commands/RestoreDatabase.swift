import ArgumentParser
import Foundation
import StackBackupKit

/// The database half of `restore`: load the manifest, plan, restore on `server`, report.
struct DatabaseRestoreCommand {
    let options: Restore
    let context: CommandContext

    func run(_ record: SnapshotRecord, server settings: PostgresSettings, repository: Repository) throws -> ExitStatus {
        let console = context.console
        let manifest = try repository.loadJSON(DatabaseManifest.self, id: record.snapshot.root)
        let lock = try repository.lock(exclusive: false, command: "restore \(manifest.database)")
        defer { try? lock.release() }
        var restoreOptions = RestoreOptions(target: options.into ?? manifest.database)
        restoreOptions.replace = options.replace
        restoreOptions.dropOld = options.dropOld
        restoreOptions.jobs = options.jobs ?? settings.jobs
        restoreOptions.withRoles = options.withRoles
        restoreOptions.noOwner = options.noOwner
        restoreOptions.tables = options.tables
        restoreOptions.dryRun = options.dryRun
        restoreOptions.pgRestore = settings.pgRestore
        restoreOptions.cancellation = repository.cancellation
        if options.withRoles {
            if let globals = try DatabaseBackupJob.latestGlobals(of: record.snapshot, in: repository) {
                restoreOptions.roles = try repository.loadJSON(GlobalsManifest.self, id: globals.snapshot.root)
            } else {
                console.warning("no roles snapshot of server '\(record.snapshot.serverName)' in the repository: missing roles cannot be created (take one with `backup globals`)")
            }
        }
        let restorer = DatabaseRestorer(
            connection: settings.connectionConfig(), store: repository, manifest: manifest, options: restoreOptions,
            progress: { p in
                console.progress("\(p.phase)\(p.table.map { " \($0)" } ?? ""): \(p.tablesDone)/\(p.tablesTotal) tables, \(Format.bytes(p.bytesDone))")
            })
        if options.dryRun {
            let plan = try restorer.plan()
            if context.options.json { try console.printJSON(plan) } else {
                console.output("restore of \(manifest.database) from snapshot \(record.id.short) (\(Format.time(record.snapshot.time))):")
                for step in plan.steps { console.output("  - \(step)") }
            }
            return .ok
        }
        let on = (try context.config()?.servers.count ?? 1) > 1 ? " on server \(settings.name)" : ""
        console.info("restoring \(manifest.database) from snapshot \(record.id.short) (\(Format.time(record.snapshot.time))) into \(restoreOptions.target)\(on)")
        let result = try restorer.run()
        if context.options.json {
            try console.printJSON(result)
        } else {
            console.info("restored \(result.database): \(result.tables) tables, \(result.rows) rows, \(Format.bytes(result.bytes)) in \(Format.duration(result.seconds))" +
                         (result.keptOldAs.map { "; the previous database is kept as \($0)" } ?? ""))
        }
        return .ok
    }
}
