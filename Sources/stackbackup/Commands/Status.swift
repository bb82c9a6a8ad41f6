import ArgumentParser
import Foundation
import StackBackupKit

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the last run per source: when, how old, how big, errors, and the next timer run.",
        discussion: "Reads the status file the nightly run writes (`status_file:` in the config). `--json` suits a Homepage customapi widget.\n\n\(ExitStatus.table)")

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Status file to read (default: the config's status_file).", valueName: "file")) var statusFile: String?

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            guard let path = try statusFile ?? context.config()?.statusFile else {
                throw RepositoryError(.invalidArgument, "no status file: give --status-file FILE or set `status_file:` in the config")
            }
            guard let status = RunStatus.load(path: path) else {
                throw RepositoryError(.notFound, "no status at \(path): `stackbackup run` has not completed yet (or the path is wrong)")
            }
            let now = Date()
            let nextRun = Self.nextTimerRun()
            if global.json {
                try context.console.printJSON(StatusJSON(status: status, now: now, nextRun: nextRun))
                return .ok
            }
            let rows = status.sources.sorted { $0.key < $1.key }.map { name, s in
                [name, s.kind, s.lastSuccess.map(Format.time) ?? "never", s.lastSuccess.map { Format.duration(now.timeIntervalSince($0)) } ?? "-",
                 Format.bytes(s.bytesTotal), Format.bytes(s.bytesAdded), s.error.map { "FAILED: " + $0.prefix(60) } ?? (s.skipped?.isEmpty == false ? "PARTIAL: \(s.skipped!.count) entries skipped" : "ok")]
            }
            context.console.output(Format.table(["Source", "Kind", "Last success", "Age", "Size", "Added", "State"], rows))
            for (name, step) in status.steps.sorted(by: { $0.key < $1.key }) {
                context.console.output("\(name): \(step.ok ? "ok" : "FAILED") at \(Format.time(step.lastRun)): \(step.detail)")
            }
            if let finished = status.runFinished { context.console.output("last run finished \(Format.time(finished)), exit code \(status.exitCode)") }
            if let nextRun { context.console.output("next run: \(Format.time(nextRun))") }
            if let interrupted = status.interrupted { context.console.output("last run was stopped: \(interrupted)") }
            let partial = status.interrupted != nil || status.sources.values.contains { $0.error != nil || $0.skipped?.isEmpty == false }
            return partial ? .partial : .ok
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

private struct StatusJSON: Encodable {
    struct Source: Encodable {
        let name: String, kind: String, lastSuccess: Date?, ageSeconds: Double?, bytes: Int64, bytesAdded: Int64, ok: Bool, error: String?
        enum CodingKeys: String, CodingKey {
            case name, kind, lastSuccess = "last_success", ageSeconds = "age_seconds", bytes, bytesAdded = "bytes_added", ok, error
        }
    }
    let sources: [Source]
    let lastRun: Date?
    let exitCode: Int32
    let nextRun: Date?
    let healthy: Bool

    init(status: RunStatus, now: Date, nextRun: Date?) {
        sources = status.sources.sorted { $0.key < $1.key }.map { name, s in
            Source(name: name, kind: s.kind, lastSuccess: s.lastSuccess, ageSeconds: s.lastSuccess.map { now.timeIntervalSince($0) },
                   bytes: s.bytesTotal, bytesAdded: s.bytesAdded, ok: s.error == nil && s.skipped?.isEmpty != false, error: s.error)
        }
        lastRun = status.runFinished
        exitCode = status.exitCode
        self.nextRun = nextRun
        healthy = status.exitCode == 0 && sources.allSatisfy(\.ok)
    }

    enum CodingKeys: String, CodingKey { case sources, lastRun = "last_run", exitCode = "exit_code", nextRun = "next_run", healthy }
}
