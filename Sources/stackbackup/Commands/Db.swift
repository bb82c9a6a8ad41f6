import ArgumentParser
import Foundation
import StackBackupKit

struct Db: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Maintain the databases: health report, vacuum, analyze, reindex, amcheck.",
        discussion: "The connection comes from the config's `postgres:` server holding each database, else the PG* environment and ~/.pgpass. Databases default to every configured one; --server NAME keeps to one server and says where a database name on several servers is meant.\n\n\(ExitStatus.table)",
        subcommands: [StatusCommand.self, Vacuum.self, Analyze.self, Reindex.self, Check.self])

    struct Target: ParsableArguments {
        @Argument(help: "Databases or their source names (default: every database of the config's servers).") var databases: [String] = []
        @Option(help: ArgumentHelp("Only this configured server (its `name:` under `postgres:`).", valueName: "name"))
        var server: String?
        @Option(help: ArgumentHelp("Give up on a table whose lock is not granted within this many seconds.", valueName: "seconds"))
        var lockTimeout: Double = 5
        @Option(help: ArgumentHelp("Cancel a statement running longer than this many seconds.", valueName: "seconds"))
        var statementTimeout: Double?
    }

    /// The databases to work on, server by server.
    static func groups(_ context: CommandContext, _ names: [String], server: String?) throws -> [(server: PostgresSettings, targets: [DatabaseTarget])] {
        try context.stackConfig().serverGroups(names, server: server)
    }

    /// Runs `body` per database and prints each summary; exit 3 when anything was skipped or failed.
    static func runMaintenance(_ context: CommandContext, _ target: Target, patterns: [String] = [],
                               _ body: (Maintenance, String) throws -> MaintenanceSummary) throws -> ExitStatus {
        let console = context.console
        let options = MaintenanceOptions(lockTimeout: target.lockTimeout, statementTimeout: target.statementTimeout, tablePatterns: patterns)
        let batch = try DbMaintenanceJob.run(try groups(context, target.databases, server: target.server), options: options,
                                             cancellation: StopSignal.token, progress: { p in
            switch p.event {
            case .started, .running:
                var line = "\(p.database): \(p.operation.rawValue) \(p.object) (\(p.position)/\(p.count))"
                if let phase = p.phase { line += " \(phase)" }
                if let done = p.blocksDone, let total = p.blocksTotal, total > 0 { line += String(format: " %.0f%%", Double(done) * 100 / Double(total)) }
                console.progress(line)
            case .failed, .skipped, .finished: break
            }
        }, operation: body) { database, summary in
            let label = database.source
            if !context.options.json {
                console.output("\(label): " + Db.summaryText(summary))
                for skipped in summary.skipped { console.warning("\(label): skipped \(skipped)") }
                for failure in summary.failures { console.error("\(label): \(failure)") }
            }
        }
        if context.options.json { try console.printJSON(batch.results.map(\.result)) }
        return ExitStatus.of(batch.outcome())
    }

    /// What a maintenance run did, saying only what applies: ANALYZE frees no
    /// space, so it names the tables; VACUUM and REINDEX say what they freed.
    static func summaryText(_ summary: MaintenanceSummary) -> String {
        let tables = summary.tables.count
        let took = "in \(Format.duration(summary.seconds))"
        switch summary.operation {
        case .analyze:
            return "statistics updated for \(tables) table(s) \(took)"
        default:
            let freed = summary.bytesReclaimed
            let space = freed > 0 ? "reclaimed \(Format.bytes(freed))" : freed < 0 ? "grew by \(Format.bytes(-freed))" : "no space reclaimed"
            return "\(summary.operation.rawValue) of \(tables) table(s) \(took), \(space)"
        }
    }

    struct StatusCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Health report: sizes, dead tuples and bloat, vacuum/analyze times, wraparound age, long and idle transactions, index problems, cache hit ratio, extension updates.",
            discussion: "Exit code 3 when there are warnings.\n\n\(ExitStatus.table)")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Databases or their source names (default: every database of the config's servers).") var databases: [String] = []
        @Option(help: ArgumentHelp("Only this configured server (its `name:` under `postgres:`).", valueName: "name"))
        var server: String?

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                // One report per server: sizes and warnings are a server's.
                var reports: [ServerHealthJSON] = []
                for (settings, targets) in try Db.groups(context, databases, server: server) {
                    let report = try HealthCollector.collect(connection: settings.connectionConfig(), databases: targets.map(\.database))
                    reports.append(ServerHealthJSON(server: settings.name, report: report))
                }
                Self.addGrowth(to: &reports, context)
                if global.json {
                    // One server: its report, as before servers had names; several: a list.
                    if reports.count == 1 { try context.console.printJSON(reports[0].report) } else { try context.console.printJSON(reports) }
                } else {
                    for entry in reports {
                        if reports.count > 1 { context.console.output("server \(entry.server):") }
                        for line in DbStatusText.lines(entry.report, colour: context.console.isTerminal) { context.console.output(line) }
                    }
                }
                return reports.allSatisfy { $0.report.warnings.isEmpty } ? .ok : .partial
            }
        }

        /// Growth since the newest dump, when a repository is configured and its
        /// passphrase is at hand without asking; the reports stand without it.
        static func addGrowth(to reports: inout [ServerHealthJSON], _ context: CommandContext) {
            guard (try? context.repositoryLocation()) != nil else {
                context.console.detail("no repository given: growth since the last backup is not shown")
                return
            }
            do {
                let config = try context.stackConfig()
                let repository = try context.openRepository(backend: try context.backend(), passphrase: try context.passphrase(prompt: false))
                for i in reports.indices {
                    let settings = try config.server(named: reports[i].server)
                    try reports[i].report.addGrowth(from: repository, source: settings.source(of:))
                }
            } catch {
                context.console.warning("growth since the last backup is not shown: \(error)")
            }
        }
    }

    struct Vacuum: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "VACUUM table by table (optionally ANALYZE, or FULL with --yes), never waiting long for a lock.",
            discussion: "Exit code 3 when some tables were skipped (locked, no privilege).\n\n\(ExitStatus.table)")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target
        @Flag(help: "Also update planner statistics.") var analyze = false
        @Flag(help: "VACUUM FULL: rewrites tables under an exclusive lock (needs --yes).") var full = false
        @Flag(help: "Confirm --full.") var yes = false
        @Option(name: .customLong("table"), help: ArgumentHelp("Only tables matching this pattern (repeatable).", valueName: "pattern"))
        var tables: [String] = []

        func validate() throws {
            if full && !yes { throw ValidationError("--full takes exclusive locks that block the applications; confirm with --yes") }
        }

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                try Db.runMaintenance(context, target, patterns: tables) { try $0.vacuum(database: $1, analyze: analyze, full: full, confirmed: yes) }
            }
        }
    }

    struct Analyze: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "ANALYZE every table (planner statistics).", discussion: ExitStatus.table)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) { try Db.runMaintenance(context, target) { try $0.analyze(database: $1) } }
        }
    }

    struct Reindex: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rebuild indexes (concurrently by default), or only invalid ones.", discussion: ExitStatus.table)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target
        @Flag(inversion: .prefixedNo, help: "REINDEX CONCURRENTLY, which does not block writes.") var concurrently = true
        @Flag(help: "Only indexes left invalid (e.g. by a failed CREATE INDEX CONCURRENTLY).") var invalidOnly = false

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                try Db.runMaintenance(context, target) { try $0.reindex(database: $1, concurrently: concurrently, invalidOnly: invalidOnly) }
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every btree index with amcheck (bt_index_check).",
            discussion: "amcheck must be installed in each database; --install-amcheck runs CREATE EXTENSION amcheck where it is missing (it stays installed) and says which databases it installed it into. Exit code 13 when an index is corrupt.\n\n\(ExitStatus.table)")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target
        @Flag(help: "Also verify that every heap tuple is in the index (slower).") var heapallindexed = false
        @Flag(help: "CREATE EXTENSION amcheck in each database that lacks it (needs a superuser; it stays installed); the databases it was installed into are listed.") var installAmcheck = false

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                let options = MaintenanceOptions(lockTimeout: target.lockTimeout, statementTimeout: target.statementTimeout)
                let batch = try DbMaintenanceJob.run(try Db.groups(context, target.databases, server: target.server), options: options,
                                                     cancellation: StopSignal.token, isPartial: DbMaintenanceJob.checkIsPartial,
                                                     operation: { try $0.check(database: $1, heapAllIndexed: heapallindexed, installAmcheck: installAmcheck) }) { database, report in
                    let label = database.source
                    if !global.json {
                        if report.installedAmcheck { context.console.output("\(label): installed amcheck (CREATE EXTENSION amcheck in database \(report.database))") }
                        if let message = report.message { context.console.output("\(label): \(message)") }
                        context.console.output("\(label): \(report.checked) index(es) checked, \(report.corrupt.count) corrupt")
                        for corrupt in report.corrupt { context.console.error("\(label): \(corrupt)") }
                        for failure in report.failures { context.console.error("\(label): \(failure)") }
                    }
                }
                if global.json { try context.console.printJSON(batch.results.map(\.result)) }
                let installed = batch.results.filter { $0.result.installedAmcheck }.map(\.result.database)
                if !global.json, !installed.isEmpty {
                    context.console.output("installed amcheck into \(installed.count) database(s): \(installed.joined(separator: ", ")); remove it with DROP EXTENSION amcheck if it is not wanted")
                }
                switch DbMaintenanceJob.checkOutcome(batch) {
                case .ok: return .ok
                case .partial: return .partial
                case .damaged: return .damaged
                }
            }
        }
    }
}

/// `db status --json` with databases on several servers: one report per server.
struct ServerHealthJSON: Encodable {
    var server: String
    var report: HealthReport
}
