import ArgumentParser
import Foundation
import StackBackupKit

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the repository's integrity and name what is damaged.",
        discussion: """
        Without options: structure (every snapshot, tree and index entry is consistent).
        --read-data reads and decrypts every pack; --read-data-subset reads a share of them.
        --files-only checks every file against the SHA-256 in its name and needs no passphrase
        (suitable for CI on a repository copy). Exit code 13 when anything is damaged.
        --restore-drill DB|all restores database snapshots into a scratch database, compares them with
        their manifests and drops it; --volume-drill NAME restores files to a temporary folder and compares
        them with the snapshot. Drills exit 0 passed, 13 damage found, 1 could not run, 130/143 interrupted.

        \(ExitStatus.table)
        """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Read, decrypt and check every blob of every pack.") var readData = false
    @Option(help: ArgumentHelp("Read only a share of the packs: N%, K/M (slice K of M), or auto (a different seventh each day; seven days cover everything).", valueName: "subset"))
    var readDataSubset: String?
    @Flag(help: "Only compare file names with the SHA-256 of their contents (no passphrase needed).") var filesOnly = false
    @OptionGroup var drill: DrillArguments

    func validate() throws {
        if readData && readDataSubset != nil { throw ValidationError("give either --read-data or --read-data-subset, not both") }
        if let subset = readDataSubset, Self.selection(subset) == nil {
            throw ValidationError("--read-data-subset must be N% (e.g. 10%), K/M (e.g. 2/7) or auto, got '\(subset)'")
        }
    }

    static func selection(_ text: String) -> ReadDataSelection? {
        if text == "auto" { return .auto(day: AutoSlice.day(of: Date())) }
        if text.hasSuffix("%"), let percent = Double(text.dropLast()), percent > 0, percent <= 100 {
            return .fraction(percent / 100)
        }
        let parts = text.split(separator: "/")
        if parts.count == 2, let k = Int(parts[0]), let m = Int(parts[1]), m > 0, (1...m).contains(k) {
            return .slice(index: k - 1, of: m)
        }
        return nil
    }

    func run() throws {
        let context = CommandContext(global)
        if drill.isRequested {
            if filesOnly || readData || readDataSubset != nil {
                throw ValidationError("a drill runs on its own: leave out --files-only, --read-data and --read-data-subset")
            }
            return try runCommand(context.console) { try drill.run(context) }
        }
        try runCommand(context.console) {
            let console = context.console
            let report: DamageReport
            if filesOnly {
                report = try VerifyJob.checkFileNames(backend: try context.backend())
            } else {
                let repository = try context.openRepository()
                let selection: ReadDataSelection = readData ? .all : readDataSubset.flatMap(Self.selection) ?? ReadDataSelection.none
                report = try VerifyJob.check(repository: repository, readData: selection, progress: { console.progress($0) })
            }
            // An `auto` slice counts towards the weekly coverage in the status file, as in `run`.
            let coverage = readDataSubset == "auto" && report.readSlice != nil && report.readSlices != nil
                ? try VerifyJob.recordAutoSlice(of: report, statusFile: try context.config()?.statusFile) : nil
            if global.json {
                try console.printJSON(report)
            } else {
                if !report.isClean { console.output(Format.table(["Damaged", "Object", "Details"], report.rows)) }
                let scope = filesOnly ? "\(report.filesChecked) files checked against their names"
                    : "\(report.snapshotsChecked) snapshots, \(report.treesChecked) trees, \(report.packsChecked) packs checked, \(report.packsRead) packs read (\(Format.bytes(report.bytesRead)))"
                console.output(report.isClean ? "no damage found: \(scope)" : "DAMAGE FOUND (see above): \(scope)")
                if let coverage, let slices = report.readSlices {
                    console.info("slice \((report.readSlice ?? 0) + 1)/\(slices) read; coverage this cycle \(coverage)/\(slices) (kept in the status file)")
                }
            }
            return report.isClean ? .ok : .damaged
        }
    }
}

/// `verify --restore-drill DB|all` and `verify --volume-drill NAME`.
struct DrillArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Restore a database's snapshot (its latest, or --snapshot) into a scratch database, compare it with the manifest, drop it; `all` drills every database.", valueName: "db|all"))
    var restoreDrill: String?
    @Option(help: ArgumentHelp("Restore a sample of a volume snapshot's files to a temporary folder and compare them with the snapshot.", valueName: "name"))
    var volumeDrill: String?
    @Option(help: ArgumentHelp("The snapshot to drill (id prefix) instead of the latest.", valueName: "id"))
    var snapshot: String?
    @Option(help: ArgumentHelp("Drill on another PostgreSQL server: a conninfo ('host=db2 port=5433 user=drill sslmode=require'), host[:port][/user], or a socket folder /path[:port]; the password comes from ~/.pgpass, PGPASSFILE or PGPASSWORD, never the command line.", valueName: "server"))
    var drillServer: String?
    @Option(help: ArgumentHelp("Volume drill: check N files chosen at random (default: all).", valueName: "n"))
    var sample: Int?
    @Option(help: ArgumentHelp("Restore drill: the configured server (its `name:` under `postgres:`) to drill on, and to look the name up on (default: the server of each snapshot's source).", valueName: "name"))
    var server: String?

    var isRequested: Bool { restoreDrill != nil || volumeDrill != nil }

    func validate() throws {
        if restoreDrill != nil && volumeDrill != nil { throw ValidationError("give either --restore-drill or --volume-drill, not both") }
        if !isRequested && (snapshot != nil || drillServer != nil || sample != nil || server != nil) {
            throw ValidationError("--snapshot, --drill-server, --server and --sample go with --restore-drill or --volume-drill")
        }
        if server != nil && restoreDrill == nil { throw ValidationError("--server goes with --restore-drill") }
        if restoreDrill == "all" && snapshot != nil { throw ValidationError("--snapshot names one snapshot: use it with --restore-drill DB, not all") }
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1") }
        if sample != nil && volumeDrill == nil { throw ValidationError("--sample goes with --volume-drill") }
        if let drillServer {
            do { _ = try PGConnectionConfig().applying(server: drillServer) } catch {
                throw ValidationError("--drill-server: \(error)")
            }
        }
    }

    func run(_ context: CommandContext) throws -> ExitStatus {
        let repository = try context.openRepository()
        if let name = volumeDrill { return try runVolumeDrill(name, repository: repository, context: context) }
        return try runRestoreDrill(restoreDrill ?? "all", repository: repository, context: context)
    }

    private func runRestoreDrill(_ target: String, repository: Repository, context: CommandContext) throws -> ExitStatus {
        let console = context.console
        let request = RestoreDrillRequest(target: target, snapshot: snapshot, server: server, drillServer: drillServer)
        let drills = try DrillJob.restoreDrills(request, repository: repository, config: { try context.stackConfig() }) { event in
            switch event {
            case .started(let record, let on):
                console.info("drilling \(record.snapshot.source) from snapshot \(record.id.short) (\(Format.time(record.snapshot.time))) on \(on)")
            case .progress(let record, let phase):
                console.progress("\(record.snapshot.source): \(phase)")
            case .finished(let report):
                if !context.options.json { printReport(report, console: console) }
            case .failed(let source, let error):
                console.error("\(source): \(error)")
            }
        }
        let passed = drills.outcome == .passed
        if context.options.json {
            try console.printJSON(DrillJSON(drills: drills.reports, errors: drills.errors, passed: passed))
        } else {
            console.output(passed ? "passed" : "FAILED")
        }
        switch drills.outcome {
        case .passed: return .ok
        case .damaged: return .damaged
        case .couldNotRun: return .failure
        }
    }

    private func printReport(_ report: DrillReport, console: Console) {
        console.output("\(report.database) (snapshot \(report.snapshot.prefix(8)), restored as \(report.scratchDatabase) in \(Format.duration(report.seconds))):")
        let rows = report.tables.map { t in
            [t.table, String(t.rowsExpected), t.rowsFound.map(String.init) ?? "-",
             t.digestMatches.map { $0 ? "ok" : "MISMATCH" } ?? "-", t.problem ?? "ok"]
        }
        console.output(Format.table(["table", "rows expected", "rows found", "digest", "result"], rows))
        console.output("indexes: \(report.indexesChecked - report.missingIndexes.count)/\(report.indexesChecked) present; constraints: \(report.constraintsChecked - report.missingConstraints.count)/\(report.constraintsChecked) present; amcheck: \(report.amcheck.status)\(report.amcheck.status == "checked" ? " (\(report.amcheck.indexesChecked) indexes)" : "")")
        for problem in report.problems { console.output("  DAMAGE: \(problem)") }
        for note in report.notes + [report.amcheck.note].compactMap({ $0 }) { console.output("  note: \(note)") }
        console.output("\(report.database): \(report.passed ? "passed" : "FAILED")")
    }

    private func runVolumeDrill(_ name: String, repository: Repository, context: CommandContext) throws -> ExitStatus {
        let console = context.console
        let report = try DrillJob.volumeDrill(name, snapshot: snapshot, sample: sample, repository: repository) { record in
            console.info("drilling volume \(name) from snapshot \(record.id.short) (\(Format.time(record.snapshot.time)))\(sample.map { ", \($0) files" } ?? ", all files")")
        }
        if context.options.json {
            try console.printJSON(report)
        } else {
            console.output("\(name): \(report.filesChecked) of \(report.filesInSnapshot) files checked (\(Format.bytes(report.bytesChecked))) in \(Format.duration(report.seconds))")
            if !report.mismatches.isEmpty {
                console.output(Format.table(["file", "problem"], report.mismatches.map { [$0.path, $0.problem] }))
            }
            console.output(report.passed ? "passed" : "FAILED")
        }
        return report.passed ? .ok : .damaged
    }
}

private struct DrillJSON: Encodable {
    let drills: [DrillReport]
    let errors: [String: String]
    let passed: Bool
}
