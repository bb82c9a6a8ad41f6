import ArgumentParser
import Foundation
import StackBackupKit

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the last run per source: when, how old, how big, errors, and the next timer run.",
        discussion: """
        Reads the status file the nightly run writes (`status_file:` in the config) and judges it for now: \
        a source is STALE once its last success is older than its `max_age:` (default 26 hours), FAILED when \
        its latest attempt failed, NEVER when it was never backed up. Sources the config no longer names are \
        left out (their snapshots stay in the repository). `--json` prints the status document (the same \
        schema as the file, health re-evaluated), e.g. for a Homepage customapi widget.

        Exit code 0 when healthy; 3 when a source is stale, failed, partial or never backed up, a step \
        failed, or the last run was stopped.

        \(ExitStatus.table)
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Status file to read (default: the config's status_file).", valueName: "file")) var statusFile: String?

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let config = try context.config()
            guard let path = statusFile ?? config?.statusFile else {
                throw RepositoryError(.invalidArgument, "no status file: give --status-file FILE or set `status_file:` in the config")
            }
            let reading = try StatusReading.read(path: path, config: config, now: Date(), nextRun: Self.nextTimerRun())
            let status = reading.status
            if global.json {
                try context.console.printJSON(status)
                return status.healthy == true ? .ok : .partial
            }
            let rows = status.sources.sorted { $0.key < $1.key }.map { name, s in
                [name, s.kind, s.lastSuccess.map(Format.time) ?? "never", s.age ?? "-", s.maxAgeSeconds.map(HumanAge.describe) ?? "-",
                 Format.bytes(s.bytesTotal), Format.bytes(s.bytesAdded), Self.state(s)]
            }
            context.console.output(Format.table(["Source", "Kind", "Last success", "Age", "Max age", "Size", "Added", "State"], rows))
            for (name, step) in status.steps.sorted(by: { $0.key < $1.key }) {
                context.console.output("\(name): \(step.ok ? "ok" : "FAILED") at \(Format.time(step.lastRun)): \(step.detail)")
            }
            if !reading.dropped.isEmpty {
                context.console.output("left out, no longer in the config: \(reading.dropped.joined(separator: ", ")) (their snapshots stay in the repository)")
            }
            if let finished = status.runFinished { context.console.output("last run finished \(Format.time(finished)), exit code \(status.exitCode)") }
            if let nextRun = status.nextRun { context.console.output("next run: \(Format.time(nextRun))") }
            if let interrupted = status.interrupted { context.console.output("last run was stopped: \(interrupted)") }
            context.console.output(status.healthy == true ? "healthy" : "NOT HEALTHY")
            return status.healthy == true ? .ok : .partial
        }
    }

    /// The State column: "ok", "STALE", "FAILED: why", "PARTIAL: …", "NEVER backed up".
    static func state(_ s: RunStatus.Source) -> String {
        switch SourceState(rawValue: s.state ?? "") {
        case .failed: return "FAILED: " + (s.error ?? "").prefix(60)
        case .stale: return "STALE"
        case .partial: return "PARTIAL: \(s.skipped?.count ?? 0) entries skipped"
        case .never: return "NEVER backed up"
        case .ok, nil: return "ok"
        }
    }

    /// The timer's next elapse, when systemd knows it.
    static func nextTimerRun() -> Date? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemctl")
        process.arguments = ["show", "stackbackup.timer", "--property=NextElapseUSecRealtime", "--timestamp=unix"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard let at = text.split(separator: "@").last, let seconds = Double(at.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }
}
