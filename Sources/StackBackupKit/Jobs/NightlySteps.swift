import Foundation

/// Wires the optional steps of the nightly run (prune, verify slice) to their
/// jobs, so `NightlyRun` itself stays testable with stubs.
public enum NightlySteps {
    public static func install(on run: NightlyRun, config: StackConfig) {
        run.prune = { repository in
            let report = try PruneJob.run(repository: repository, options: PruneOptions(lockWait: 60), progress: nil)
            return report.summary
        }
        run.verifySlice = { repository, status in
            try VerifySlice.run(repository: repository, status: &status)
        }
        run.maintenance = { config, status, report in
            NightlyMaintenance.run(config: config, status: &status, report: report)
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
        let report = try Checker().check(repository: repository, readData: .slice(index: index, of: slices), progress: nil)
        var done = Set(status.verifySlices ?? [])
        if done.count == slices { done = [] }
        done.insert(index)
        status.verifySlices = done.sorted()
        status.verifyCoverage = Double(done.count) / Double(slices)
        guard report.isClean else {
            throw IntegrityError(object: "repository", problem: report.summary.joined(separator: "; "))
        }
        return "slice \(index + 1)/\(slices) read (\(report.packsRead) packs, \(report.bytesRead) bytes), no damage; coverage this cycle \(done.count)/\(slices)"
    }
}
