import Foundation
import StackBackupKit
#if canImport(Glibc)
import Glibc
#endif

/// Output for humans and scripts. Data goes to stdout; messages, warnings and
/// progress go to stderr so `--json` output stays parseable. Progress is a
/// redrawn line on a terminal and a plain line every 30 s otherwise (journald).
final class Console: @unchecked Sendable {
    let json: Bool
    let quiet: Bool
    let verbose: Bool
    let isTerminal: Bool
    private let lock = NSLock()
    private var lastProgress = Date.distantPast
    private var progressShown = false

    init(json: Bool, quiet: Bool, verbose: Bool) {
        self.json = json
        self.quiet = quiet
        self.verbose = verbose
        self.isTerminal = isatty(STDERR_FILENO) == 1
        // Off a terminal the first progress line comes after one interval, not at once.
        self.lastProgress = isTerminal ? .distantPast : Date()
    }

    func output(_ line: String) {
        lock.withLock {
            clearProgress()
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    func info(_ line: String) {
        guard !quiet else { return }
        writeErr(line)
    }

    func detail(_ line: String) {
        guard verbose else { return }
        writeErr(line)
    }

    func warning(_ line: String) { writeErr("warning: " + line) }

    func error(_ line: String) { writeErr("stackbackup: error: " + line) }

    /// Throttled progress: 5 redraws a second on a terminal, a line every 30 s elsewhere.
    func progress(_ line: @autoclosure () -> String) {
        guard !quiet else { return }
        lock.withLock {
            let now = Date()
            let interval: TimeInterval = isTerminal ? 0.2 : 30
            guard now.timeIntervalSince(lastProgress) >= interval else { return }
            lastProgress = now
            if isTerminal {
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + line()).utf8))
                progressShown = true
            } else {
                FileHandle.standardError.write(Data((line() + "\n").utf8))
            }
        }
    }

    func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        output(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    private func writeErr(_ line: String) {
        lock.withLock {
            clearProgress()
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    private func clearProgress() {
        if progressShown {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            progressShown = false
        }
    }
}

enum Format {
    static func bytes(_ count: Int64) -> String { ByteCount.human(count) }

    /// 1234567 → "1,234,567", the same on every locale.
    static func count(_ n: Int64) -> String {
        let digits = Array(String(n.magnitude))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let s = Int(seconds.rounded())
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }

    static func rate(_ count: Int64, _ seconds: Double) -> String {
        seconds > 0 ? bytes(Int64(Double(count) / seconds)) + "/s" : "-"
    }

    static func time(_ date: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        f.timeZone = .current
        return f.string(from: date)
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
