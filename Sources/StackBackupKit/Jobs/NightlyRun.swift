import Foundation

/// What `stackbackup run` reports while it works; the CLI turns these into lines.
public enum RunEvent: Sendable {
    case info(String)
    case warning(String)
    case failure(String)
    case progress(String)
}

public struct NightlyRunResult: Sendable {
    /// 0 all good, 3 partial (some sources or steps failed, or a volume snapshot
    /// lacks entries it could not read), 1 nothing succeeded; 130 / 143 stopped
    /// by SIGINT / SIGTERM, 11 stopped because the lock was lost.
    public var exitCode: Int32
    public var status: RunStatus
    public var failures: [String]
    /// One line per volume saved without some entries ("src: snapshot … saved, 2 entries skipped: …").
    public var partial: [String] = []

    /// The closing line of the run.
    public var summary: String {
        if failures.isEmpty && partial.isEmpty { return "run finished: all sources backed up" }
        var parts: [String] = []
        if !failures.isEmpty { parts.append("\(failures.count) failure(s)") }
        if !partial.isEmpty { parts.append("\(partial.count) partial source(s)") }
        return "run finished with " + parts.joined(separator: " and ")
    }
}

/// The nightly job: globals and every database first (so the media are never
/// newer than the database that indexes them, as Immich's backup guide asks),
/// then every volume, then forget by policy, prune when due, a verify slice.
/// One failing source does not stop the others; the repository's cancellation
/// (a signal) stops the run: the work under way is abandoned as its job
/// does, the rest is skipped, and the status file records the interruption.
public final class NightlyRun {
    let config: StackConfig
    let repository: Repository
    let report: (RunEvent) -> Void
    let now: () -> Date
    public var verifySlice: ((Repository, inout RunStatus) throws -> String)?
    public var prune: ((Repository) throws -> String)?
    /// A restore drill when due; returns nil when not due today.
    public var drill: ((Repository, Date) throws -> String?)?
    public var maintenance: ((StackConfig, inout RunStatus, (RunEvent) -> Void) -> [String])?
    /// Copies this night's snapshots to `config.offsite`; defaults to `CopyOffsite.run`.
    public var offsite: ((Repository, [ObjectID]) throws -> String)?

    public init(config: StackConfig, repository: Repository, now: @escaping () -> Date = Date.init,
                report: @escaping (RunEvent) -> Void) {
        self.config = config
        self.repository = repository
        self.now = now
        self.report = report
    }

    public func run() -> NightlyRunResult {
        var status = config.statusFile.flatMap(RunStatus.load) ?? RunStatus()
        let started = now()
        status.runStarted = started
        status.runFinished = nil
        var failures: [String] = []
        var partial: [String] = []
        var nightSnapshots: [ObjectID] = []
        typealias SourceResult = (snapshot: Snapshot, id: ObjectID?, warnings: [String], skipped: [SkippedEntry])
        var batch = SourceBatch<SourceResult>(cancellation: repository.cancellation, isPartial: { !$0.skipped.isEmpty })
        /// True once the run must stop; records `what` as not done.
        func stopping(_ what: String) -> Bool { batch.stopping(what) }
        let pinger = config.hooks.healthcheckURL.map(HealthcheckPinger.init)
        if let message = pinger?.ping(.start) { report(.warning(message)) }

        func record(_ name: String, kind: String, _ body: () throws -> SourceResult) {
            if stopping(name) { return }
            let sourceStarted = now()
            var entry = status.sources[name] ?? RunStatus.Source(kind: kind, lastAttempt: sourceStarted)
            entry.kind = kind
            entry.lastAttempt = sourceStarted
            switch batch.run(name, body) {
            case nil:
                return  // stopped between the check above and the start
            case .success(let outcome):
                for warning in outcome.warnings { report(.warning("\(name): \(warning)")) }
                let stats = outcome.snapshot.stats
                entry.lastSuccess = now()
                entry.lastSnapshot = outcome.id?.hex
                if let id = outcome.id { nightSnapshots.append(id) }
                entry.bytesRead = stats.bytesRead
                entry.bytesAdded = stats.bytesAdded
                entry.bytesTotal = stats.bytesTotal
                entry.error = nil
                entry.skipped = outcome.skipped.isEmpty ? nil : outcome.skipped
                if !outcome.skipped.isEmpty {
                    let line = "\(name): snapshot \(outcome.id?.short ?? "-") saved, "
                        + SkippedEntry.summary(of: outcome.skipped, seeAlso: "the status file or --json")
                    partial.append(line)
                    report(.warning(line))
                }
                report(.info("\(name): snapshot \(outcome.id?.short ?? "-") (\(kind)), read \(stats.bytesRead) B, added \(stats.bytesAdded) B"))
            case .failure(let error):
                entry.error = "\(error)"
                entry.lastFailure = now()
                if !(error is InterruptedError) { failures.append("\(name): \(error)") }
                report(.failure("\(name): \(error)"))
            }
            entry.durationSeconds = now().timeIntervalSince(sourceStarted)
            status.sources[name] = entry
        }

        // Server by server: its roles, then its databases, each under its source name.
        for server in config.servers where !server.databases.isEmpty {
            let on = config.servers.count > 1 ? " on server \(server.name)" : ""
            record(server.globalsSource, kind: "globals") {
                let o = try DatabaseBackupJob.backupGlobals(settings: server, repository: repository, time: started)
                return (o.snapshot, o.snapshotID, o.warnings, [])
            }
            for database in server.databases {
                let source = server.source(of: database)
                report(.info("dumping database \(database)\(on)"))
                record(source, kind: "postgres") {
                    let o = try DatabaseBackupJob.backup(database: database, settings: server, repository: repository, time: started) { p in
                        self.report(.progress("\(source): \(p.tablesDone)/\(p.tablesTotal) tables, \(p.bytesDone) B"))
                    }
                    return (o.snapshot, o.snapshotID, o.warnings, [])
                }
            }
        }
        for volume in config.volumes {
            report(.info("backing up volume \(volume.name) (\(volume.path))"))
            record(volume.name, kind: "volume") {
                var request = VolumeBackupRequest(name: volume.name, path: volume.path)
                request.excludes = volume.exclude
                request.keeps = volume.keepPatterns
                request.sqliteGlobs = volume.sqlite
                request.oneFileSystem = volume.oneFileSystem
                request.time = started
                let o = try VolumeBackupJob.run(request, repository: repository) { p in
                    self.report(.progress("\(volume.name): \(p.filesDone) files, \(p.bytesDone) B"))
                }
                return (o.snapshot, o.snapshotID, o.notes, o.skipped)
            }
        }

        if let settings = config.offsite, !nightSnapshots.isEmpty, !stopping("offsite") {
            let copy = offsite ?? { [now, report] repository, ids in
                try CopyOffsite.run(settings: settings, from: repository, snapshots: ids, now: now(), report: report)
            }
            status.steps["offsite"] = step("offsite", &failures) { try copy(repository, nightSnapshots) }
        }

        if !stopping("forget") { status.steps["forget"] = step("forget", &failures) {
            guard let policies = config.retention else { return "no retention policy configured; nothing forgotten" }
            let removed = try ForgetJob.run(repository: repository, policies: policies, now: now()).removed
            return "removed \(removed.count) snapshot(s) by policy"
        } }
        if let prune, let every = config.pruneEvery, !stopping("prune") {
            if let last = status.lastPrune, now().timeIntervalSince(last) < every {
                report(.info("prune: not due (last \(last), every \(Int(every / 86400)) days)"))
            } else {
                var pruned = false
                status.steps["prune"] = step("prune", &failures) {
                    let detail = try prune(repository)
                    pruned = true
                    return detail
                }
                if pruned { status.lastPrune = now() }
            }
        }
        if let verifySlice, !stopping("verify") {
            var working = status
            status.steps["verify"] = step("verify", &failures) { try verifySlice(repository, &working) }
            status.verifySlices = working.verifySlices
            status.verifyCoverage = working.verifyCoverage
        }
        if let drill, !stopping("drill") {
            var due = true
            let result = step("drill", &failures) {
                guard let detail = try drill(repository, now()) else { due = false; return "not due" }
                return detail
            }
            if due { status.steps["drill"] = result }
        }
        if let maintenance, !stopping("maintenance") {
            for failure in maintenance(config, &status, report) {
                failures.append(failure)
                report(.failure(failure))
            }
        }

        status.runFinished = now()
        let stepFailures = failures.count - batch.failures.count
        var exitCode: Int32
        switch batch.outcome(otherFailures: stepFailures) {
        case .ok: exitCode = 0
        case .partial: exitCode = 3
        case .failure: exitCode = 1
        }
        status.interrupted = nil
        let skipped = batch.notDone
        if let stopped = batch.interruption ?? repository.cancellation.reason.map({ InterruptedError(reason: $0) }) {
            switch stopped.reason {
            case .signal(let number): exitCode = 128 + number
            case .lockLost: exitCode = 11
            }
            let rest = skipped.isEmpty ? "" : "; not done: \(skipped.joined(separator: ", "))"
            status.interrupted = "\(stopped.reason)\(rest)"
            failures.append("run: \(stopped.reason)\(rest)")
            report(.failure("run \(stopped.reason)\(rest)"))
        }
        status.exitCode = exitCode
        // Sources the config no longer names leave the status and the metrics
        // (their snapshots stay in the repository, listed by `snapshots`).
        let dropped = status.sourcesDropped(by: config.configuredSources)
        if !dropped.isEmpty {
            report(.info("status: dropped \(dropped.joined(separator: ", ")) (no longer in the config; their snapshots stay in the repository)"))
        }
        status = status.evaluated(at: status.runFinished ?? now(), configured: config.configuredSources)
        if let path = config.statusFile {
            do { try status.save(path: path) } catch { report(.warning("cannot write the status file: \(error)")) }
        }
        if let path = config.metricsFile {
            do { try AtomicFile.write(Data(RunMetrics.render(status).utf8), to: path) }
            catch { report(.warning("cannot write the metrics file: \(error)")) }
        }
        if let pinger {
            let problems = failures + partial
            let body = problems.isEmpty ? "ok" : problems.joined(separator: "\n")
            if let message = pinger.ping(problems.isEmpty ? .success : .failure, body: body) { report(.warning(message)) }
        }
        return NightlyRunResult(exitCode: exitCode, status: status, failures: failures, partial: partial)
    }

    private func step(_ name: String, _ failures: inout [String], _ body: () throws -> String) -> RunStatus.Step {
        do {
            let detail = try body()
            report(.info("\(name): \(detail)"))
            return RunStatus.Step(lastRun: now(), ok: true, detail: detail)
        } catch {
            if !(error is InterruptedError) { failures.append("\(name): \(error)") }
            report(.failure("\(name): \(error)"))
            return RunStatus.Step(lastRun: now(), ok: false, detail: "\(error)")
        }
    }
}
