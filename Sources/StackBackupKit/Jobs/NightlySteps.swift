import Foundation

/// Wires the optional steps of the nightly run (prune, verify slice) to their
/// jobs, so `NightlyRun` itself stays testable with stubs.
public enum NightlySteps {
    public static func install(on run: NightlyRun, config: StackConfig) {
        run.prune = { repository in
            let report = try PruneJob.run(repository: repository, options: PruneOptions(), progress: nil)
            return report.summary
        }
        run.verifySlice = { repository, status in
            try VerifySlice.run(repository: repository, status: &status)
        }
        run.drill = { repository, now in
            try NightlyDrill.runIfDue(config: config, repository: repository, now: now)
        }
        run.maintenance = { [cancellation = run.repository.cancellation] config, status, report in
            NightlyMaintenance.run(config: config, status: &status, cancellation: cancellation, report: report)
        }
    }
}

/// The nightly verify: the `auto` slice — a different seventh of the packs
/// each day, chosen from the repository id and the day so two machines agree
/// and any seven consecutive days read every pack.
public enum VerifySlice {
    public static func run(repository: Repository, status: inout RunStatus, now: Date = Date()) throws -> String {
        let slices = AutoSlice.defaultSlices
        let index = AutoSlice.sliceIndex(repositoryID: repository.config.id, day: AutoSlice.day(of: now), slices: slices)
        let report = try Checker(manifestBlobs: Checker.databaseManifests).check(repository: repository, readData: .slice(index: index, of: slices), progress: nil)
        let done = record(slice: index, of: slices, in: &status)
        guard report.isClean else {
            throw IntegrityError(object: "repository", problem: report.summary.joined(separator: "; "))
        }
        return "slice \(index + 1)/\(slices) read (\(report.packsRead) packs, \(report.bytesRead) bytes), no damage; coverage this cycle \(done)/\(slices)"
    }

    /// Adds a slice read to the status file's cycle (a new cycle starts once
    /// every slice was read) and returns how many slices the cycle has read.
    @discardableResult
    public static func record(slice index: Int, of slices: Int, in status: inout RunStatus) -> Int {
        var done = Set(status.verifySlices ?? [])
        if done.count >= slices { done = [] }
        done.insert(index)
        status.verifySlices = done.sorted()
        status.verifyCoverage = Double(done.count) / Double(slices)
        return done.count
    }
}

/// The weekly restore drill of the nightly run: on `drill_day`, one database
/// (rotating week by week through the configured ones of every server) is
/// restored into a scratch database on its own server, compared with its
/// manifest and dropped.
public enum NightlyDrill {
    public static func runIfDue(config: StackConfig, repository: Repository, now: Date) throws -> String? {
        guard let weekday = config.drillWeekday, Calendar.current.component(.weekday, from: now) == weekday else { return nil }
        let targets = config.databaseTargets
        guard !targets.isEmpty else { return nil }
        let week = Int(now.timeIntervalSince1970 / (7 * 86_400))
        let target = targets[week % targets.count]
        let source = target.source, server = target.server
        guard let snapshot = try repository.latestSnapshot(source: source) else {
            return "no snapshot of \(source) to drill yet"
        }
        let drill = RestoreDrill(connection: server.connectionConfig(), repository: repository,
                                 options: DrillOptions(jobs: server.jobs, pgRestore: server.pgRestore))
        let report = try drill.run(snapshot: snapshot)
        guard report.passed else {
            throw IntegrityError(object: "database \(source) snapshot \(snapshot.id.short)", problem: "the restore drill failed: \(report.problems.joined(separator: "; "))")
        }
        let on = config.servers.count > 1 ? " on server \(server.name)" : ""
        return "restore drill of \(source) (snapshot \(snapshot.id.short))\(on) passed: \(report.tablesChecked) tables"
    }
}
