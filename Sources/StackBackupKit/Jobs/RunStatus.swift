import Foundation

/// The status document: the file `stackbackup run` writes after every run
/// and what `stackbackup status --json` prints (the same schema, snake_case
/// keys; `status` re-evaluates the health fields for the time it reads it).
/// It also suits a Homepage "customapi" widget. Version 1 files (before the
/// health fields) decode: every field added since is optional.
public struct RunStatus: Codable, Sendable {
    public static let currentVersion = 2

    public struct Source: Codable, Sendable {
        public var kind: String
        /// Nil for a configured source no run has reached yet.
        public var lastAttempt: Date?
        public var lastSuccess: Date?
        /// When an attempt last failed (its error is `error` while it is the latest attempt).
        public var lastFailure: Date?
        public var lastSnapshot: String?
        public var durationSeconds: Double
        public var bytesRead: Int64
        public var bytesAdded: Int64
        public var bytesTotal: Int64
        public var error: String?
        /// Volumes: the entries `last_snapshot` lacks or holds while they were changing
        /// (that backup was partial); absent when it was whole.
        public var skipped: [SkippedEntry]?
        /// How old `last_success` may be (the source's `max_age:`, else 26 h).
        public var maxAgeSeconds: Double?
        /// Age of `last_success` at `checked_at`, in seconds and in words ("36 days").
        public var ageSeconds: Double?
        public var age: String?
        /// ok, stale, failed, partial or never (`SourceState`), at `checked_at`.
        public var state: String?
        /// True only for state ok.
        public var healthy: Bool?

        public init(kind: String, lastAttempt: Date?, durationSeconds: Double = 0,
                    bytesRead: Int64 = 0, bytesAdded: Int64 = 0, bytesTotal: Int64 = 0) {
            self.kind = kind
            self.lastAttempt = lastAttempt
            self.durationSeconds = durationSeconds
            self.bytesRead = bytesRead
            self.bytesAdded = bytesAdded
            self.bytesTotal = bytesTotal
        }

        enum CodingKeys: String, CodingKey {
            case kind, lastAttempt = "last_attempt", lastSuccess = "last_success", lastFailure = "last_failure"
            case lastSnapshot = "last_snapshot"
            case durationSeconds = "duration_seconds", bytesRead = "bytes_read", bytesAdded = "bytes_added"
            case bytesTotal = "bytes_total", error, skipped
            case maxAgeSeconds = "max_age_seconds", ageSeconds = "age_seconds", age, state, healthy
        }
    }

    public struct Step: Codable, Sendable {
        public var lastRun: Date
        public var ok: Bool
        public var detail: String
        enum CodingKeys: String, CodingKey { case lastRun = "last_run", ok, detail }
    }

    public var version = RunStatus.currentVersion
    /// The time the health fields below and in each source were evaluated for.
    public var checkedAt: Date?
    /// Every source healthy, every step ok, the last run not stopped (at `checked_at`).
    public var healthy: Bool?
    public var runStarted: Date?
    /// `status` only: the systemd timer's next run, when systemd knows it (a run leaves it out).
    public var nextRun: Date?
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
        case version, checkedAt = "checked_at", healthy, runStarted = "run_started", runFinished = "run_finished", exitCode = "exit_code", interrupted, sources, steps
        case nextRun = "next_run"
        case lastPrune = "last_prune", verifyCoverage = "verify_coverage", verifySlices = "verify_slices"
    }

    public static func load(path: String) -> RunStatus? {
        FileManager.default.contents(atPath: path).flatMap { try? decode($0) }
    }

    static func decode(_ data: Data) throws -> RunStatus {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(RunStatus.self, from: data)
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
               sources.compactMap { s in s.value.lastAttempt.map { (labels(s.key, s.value), $0.timeIntervalSince1970) } })
        metric("stackbackup_max_age_seconds", "How old the last success of a source may be before it is stale (its max_age).",
               sources.compactMap { s in s.value.maxAgeSeconds.map { (labels(s.key, s.value), $0) } })
        metric("stackbackup_source_healthy", "1 when a source was healthy (backed up, not stale, not partial) at the end of the last run.",
               sources.map { (labels($0.key, $0.value), $0.value.healthy == true ? 1.0 : 0.0) })
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
            metric("stackbackup_run_exit_code", "Exit code of the last `stackbackup run` (0 ok, 3 partial, 143 SIGTERM).", [("", Double(status.exitCode))])
            metric("stackbackup_run_interrupted", "1 when the last `stackbackup run` was stopped (a signal, a lost lock) before it finished.",
                   [("", status.interrupted == nil ? 0.0 : 1.0)])
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
