import Foundation

/// The `maintenance:` section of the nightly run: analyze, vacuum, reindex of
/// invalid indexes and amcheck, each when its schedule is due. Due-ness comes
/// from the status file (`maintenance-<task>` steps), results go back into it
/// and so into the metrics. A failing task is reported, never fatal; a
/// cancellation stops the tasks (the statement running is rolled back) and
/// the tasks not done keep their last status.
public enum NightlyMaintenance {
    /// Runs what is due; returns one line per failure.
    public static func run(config: StackConfig, status: inout RunStatus, now: Date = Date(),
                           cancellation: Cancellation? = nil, report: (RunEvent) -> Void) -> [String] {
        let schedule = config.maintenance
        let tasks: [(name: String, schedule: MaintenanceSchedule)] = [
            ("analyze", schedule.analyze), ("vacuum", schedule.vacuum),
            ("reindex-invalid", schedule.reindexInvalid), ("check", schedule.check),
        ]
        var failures: [String] = []
        // One Maintenance per server; databases are named by their source.
        let targets = config.databaseTargets.map { target in
            let maintenance = Maintenance(connection: target.server.connectionConfig(), options: MaintenanceOptions(lockTimeout: 5), progress: nil)
            maintenance.cancellation = cancellation
            return (target.source, target.database, maintenance)
        }
        for task in tasks {
            if cancellation?.isCancelled == true { break }
            guard let interval = task.schedule.interval else { continue }
            let key = "maintenance-\(task.name)"
            // A little slack so a nightly task is not skipped when last night's run finished later.
            if let last = status.steps[key]?.lastRun, status.steps[key]?.ok == true, now.timeIntervalSince(last) < interval - 3_600 { continue }
            var problems: [String] = []
            var done = 0
            for (label, database, maintenance) in targets {
                do {
                    switch task.name {
                    case "analyze":
                        let s = try maintenance.analyze(database: database)
                        problems += s.failures.map { "\(label): \($0)" }
                    case "vacuum":
                        let s = try maintenance.vacuum(database: database, analyze: true, full: false, confirmed: false)
                        problems += s.failures.map { "\(label): \($0)" }
                    case "reindex-invalid":
                        let s = try maintenance.reindex(database: database, concurrently: true, invalidOnly: true)
                        problems += s.failures.map { "\(label): \($0)" }
                    default:
                        let r = try maintenance.check(database: database, heapAllIndexed: false, installAmcheck: false)
                        problems += r.corrupt.map { "\(label): \($0)" }
                        if r.amcheckMissing, let message = r.message { report(.warning("maintenance check: \(message)")) }
                    }
                    done += 1
                } catch is InterruptedError {
                    return failures
                } catch {
                    problems.append("\(label): \(error)")
                }
            }
            let ok = problems.isEmpty
            let detail = ok ? "\(task.name) of \(done) database(s) done" : problems.joined(separator: "; ")
            status.steps[key] = RunStatus.Step(lastRun: now, ok: ok, detail: detail)
            if ok { report(.info("maintenance: \(detail)")) } else { failures.append("maintenance \(task.name): \(detail)") }
        }
        return failures
    }
}
