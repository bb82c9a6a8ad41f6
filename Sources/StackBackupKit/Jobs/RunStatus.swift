import Foundation

/// The status file `stackbackup run` writes after every run and `stackbackup
/// status` reads (JSON; also suits a Homepage "customapi" widget).
public struct RunStatus: Codable, Sendable {
    public struct Source: Codable, Sendable {
        public var kind: String
        public var lastAttempt: Date
        public var lastSuccess: Date?
        public var lastSnapshot: String?
        public var durationSeconds: Double
        public var bytesRead: Int64
        public var bytesAdded: Int64
        public var bytesTotal: Int64
        public var error: String?
        /// Volumes: the entries `last_snapshot` lacks or holds while they were changing
        /// (that backup was partial); absent when it was whole.
        public var skipped: [SkippedEntry]?

        enum CodingKeys: String, CodingKey {
            case kind, lastAttempt = "last_attempt", lastSuccess = "last_success", lastSnapshot = "last_snapshot"
            case durationSeconds = "duration_seconds", bytesRead = "bytes_read", bytesAdded = "bytes_added"
            case bytesTotal = "bytes_total", error, skipped
        }
    }

    public struct Step: Codable, Sendable {
        public var lastRun: Date
        public var ok: Bool
        public var detail: String
        enum CodingKeys: String, CodingKey { case lastRun = "last_run", ok, detail }
    }

    public var version = 1
    public var runStarted: Date?
    public var runFinished: Date?
    /// 0 all good, 3 partial (a source or step failed, or a volume's `skipped` lists entries), 1 failed.
    public var exitCode: Int32 = 0
    /// Set when the last run was stopped (a signal, a lost lock): what stopped
    /// it and what it had not done yet.
    public var interrupted: String?
    public var sources: [String: Source] = [:]
    /// forget, prune, verify, maintenance.
    public var steps: [String: Step] = [:]
    public var lastPrune: Date?
    /// Share of packs read by verify slices since coverage last reached 100%.
    public var verifyCoverage: Double?
    /// Pack-slice index the next automatic verify reads.
    public var verifySlices: [Int]?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case version, runStarted = "run_started", runFinished = "run_finished", exitCode = "exit_code", interrupted, sources, steps
        case lastPrune = "last_prune", verifyCoverage = "verify_coverage", verifySlices = "verify_slices"
    }

    public static func load(path: String) -> RunStatus? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(RunStatus.self, from: data)
    }

    public func save(path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try AtomicFile.write(try encoder.encode(self), to: path)
    }
}

/// Writes a small file atomically (temp file in the same folder, rename), so a
/// reader (node_exporter, Homepage) never sees half of it.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        try data.write(to: temp)
        if rename(temp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw RepositoryError(.other, "cannot write \(path): \(reason)")
        }
    }
}

/// The Prometheus textfile (node_exporter's textfile collector) for a status.
public enum RunMetrics {
    public static func render(_ status: RunStatus) -> String {
        var lines: [String] = []
        func metric(_ name: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) gauge")
            for s in samples { lines.append("\(name)\(s.labels) \(format(s.value))") }
        }
        let sources = status.sources.sorted { $0.key < $1.key }
        func labels(_ name: String, _ source: RunStatus.Source) -> String {
            "{source=\"\(escape(name))\",kind=\"\(source.kind)\"}"
        }
        metric("stackbackup_last_success_timestamp_seconds", "Time of the last successful backup of a source.",
               sources.compactMap { s in s.value.lastSuccess.map { (labels(s.key, s.value), $0.timeIntervalSince1970) } })
        metric("stackbackup_last_attempt_timestamp_seconds", "Time of the last backup attempt of a source.",
               sources.map { (labels($0.key, $0.value), $0.value.lastAttempt.timeIntervalSince1970) })
        metric("stackbackup_duration_seconds", "Duration of the last backup attempt of a source.",
               sources.map { (labels($0.key, $0.value), $0.value.durationSeconds) })
        metric("stackbackup_bytes_read", "Bytes read by the last backup of a source.",
               sources.map { (labels($0.key, $0.value), Double($0.value.bytesRead)) })
        metric("stackbackup_bytes_added", "Bytes the last backup of a source added to the repository.",
               sources.map { (labels($0.key, $0.value), Double($0.value.bytesAdded)) })
        metric("stackbackup_source_bytes", "Size of a source at its last backup.",
               sources.map { (labels($0.key, $0.value), Double($0.value.bytesTotal)) })
        metric("stackbackup_errors", "1 when the last backup attempt of a source failed.",
               sources.map { (labels($0.key, $0.value), $0.value.error == nil ? 0.0 : 1.0) })
        metric("stackbackup_entries_skipped", "Entries the last snapshot of a source lacks or holds while they were changing.",
               sources.map { (labels($0.key, $0.value), Double($0.value.skipped?.count ?? 0)) })
        if let finished = status.runFinished {
            metric("stackbackup_run_timestamp_seconds", "End of the last `stackbackup run`.", [("", finished.timeIntervalSince1970)])
            metric("stackbackup_run_exit_code", "Exit code of the last `stackbackup run` (0 ok, 3 partial).", [("", Double(status.exitCode))])
        }
        if let started = status.runStarted, let finished = status.runFinished {
            metric("stackbackup_run_duration_seconds", "Duration of the last `stackbackup run`.", [("", finished.timeIntervalSince(started))])
        }
        if let coverage = status.verifyCoverage {
            metric("stackbackup_verify_coverage_ratio", "Share of packs read by verify since full coverage was last reached.", [("", coverage)])
        }
        let steps = status.steps.sorted { $0.key < $1.key }
        metric("stackbackup_step_ok", "1 when the last run of a step (forget, prune, verify, maintenance) succeeded.",
               steps.map { ("{step=\"\($0.key)\"}", $0.value.ok ? 1.0 : 0.0) })
        return lines.joined(separator: "\n") + "\n"
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
