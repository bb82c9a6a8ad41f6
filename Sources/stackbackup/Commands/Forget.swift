import ArgumentParser
import Foundation
import StackBackupKit

struct Forget: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove snapshots a retention policy does not keep (per source), saying why each one is kept.",
        discussion: """
        The policy comes from --policy FILE, else the config's `retention:`; any --keep-* flag replaces
        it for this run. Semantics as restic's forget: the newest snapshot per hour/day/ISO week/month/
        year in the local time zone. The newest snapshot of a source is never removed.
        Forgetting only drops snapshots; `prune` (or --prune) frees their space.

        \(ExitStatus.table)
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this source.") var source: String?
    @Option(help: ArgumentHelp("Retention policy YAML (default and per-source policies).", valueName: "file")) var policy: String?
    @Option(help: "Keep the N newest snapshots.") var keepLast: Int?
    @Option(help: "Keep the newest snapshot of each of the last N hours.") var keepHourly: Int?
    @Option(help: "Keep the newest snapshot of each of the last N days.") var keepDaily: Int?
    @Option(help: "Keep the newest snapshot of each of the last N ISO weeks.") var keepWeekly: Int?
    @Option(help: "Keep the newest snapshot of each of the last N months.") var keepMonthly: Int?
    @Option(help: "Keep the newest snapshot of each of the last N years.") var keepYearly: Int?
    @Option(help: ArgumentHelp("Keep every snapshot within this duration of the newest (e.g. 10d, 2w, 6m, 1y).", valueName: "duration"))
    var keepWithin: String?
    @Option(name: .customLong("keep-tag"), help: "Keep snapshots with this tag (repeatable).") var keepTags: [String] = []
    @Flag(help: "Show the decisions, remove nothing.") var dryRun = false
    @Flag(help: "Run prune afterwards.") var prune = false

    func validate() throws {
        for (name, value) in [("keep-last", keepLast), ("keep-hourly", keepHourly), ("keep-daily", keepDaily), ("keep-weekly", keepWeekly),
                              ("keep-monthly", keepMonthly), ("keep-yearly", keepYearly)] {
            if let value, value < 0 { throw ValidationError("--\(name) must not be negative") }
        }
        if let keepWithin, RetentionDuration(keepWithin) == nil {
            throw ValidationError("--keep-within '\(keepWithin)' is not a duration; use e.g. 12h, 10d, 2w, 6m, 1y")
        }
    }

    var flagPolicy: RetentionPolicy? {
        let policy = RetentionPolicy(keepLast: keepLast, keepHourly: keepHourly, keepDaily: keepDaily, keepWeekly: keepWeekly,
                                     keepMonthly: keepMonthly, keepYearly: keepYearly,
                                     keepWithin: keepWithin.flatMap { RetentionDuration($0) }, keepTags: keepTags)
        return policy.isEmpty ? nil : policy
    }

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let policies: RetentionPolicySet
            if let flagPolicy {
                policies = RetentionPolicySet(default: flagPolicy)
            } else if let policy {
                policies = try RetentionPolicySet.load(path: policy)
            } else if let configured = try context.config()?.retention {
                policies = configured
            } else {
                throw RepositoryError(.invalidArgument, "no retention policy: give --keep-daily N (or another --keep-* flag), --policy FILE, or `retention:` in the config")
            }
            let repository = try context.openRepository()
            let outcome = try ForgetJob.run(repository: repository, policies: policies, source: source, dryRun: dryRun)
            let plans = outcome.plans
            if global.json {
                try context.console.printJSON(plans)
            } else {
                for plan in plans {
                    context.console.output("\(plan.source) (policy: \(plan.policy)):")
                    for d in plan.decisions {
                        let id = String(d.id.prefix(8))
                        context.console.output("  \(d.keep ? "keep  " : "remove") \(id)  \(Format.time(d.time))  \(d.reasons.joined(separator: ", "))")
                    }
                }
            }
            let total = plans.reduce(0) { $0 + $1.removeCount }
            if dryRun {
                context.console.info("dry run: \(total) snapshot(s) would be removed")
                return .ok
            }
            context.console.info("removed \(outcome.removed.count) snapshot(s)")
            if prune {
                let report = try PruneJob.run(repository: repository, options: PruneOptions(), progress: { context.console.progress($0) })
                context.console.info(report.summary)
            }
            return .ok
        }
    }
}
