import Foundation
import StackBackupKit

/// The human form of `db status`: one summary table, then per database what
/// needs a look (largest relations, dead tuples, unused and duplicate
/// indexes, extension updates), then the warnings.
enum DbStatusText {
    static func lines(_ report: HealthReport, colour: Bool) -> [String] {
        var out = ["server: \(report.server)"]
        let rows = report.databases.map { d in
            [d.name, Format.bytes(d.sizeBytes), growth(d), Format.count(d.tables.reduce(0) { $0 + $1.deadTuples }),
             Format.count(d.xidAge), Format.count(d.mxidAge), d.cacheHitRatio.map { String(format: "%.1f%%", $0 * 100) } ?? "-",
             String(d.invalidIndexes.count), String(d.idleInTransaction.count + d.longTransactions.count)]
        }
        out.append(Format.table(["Database", "Size", "Since backup", "Dead tuples", "XID age", "MXID age", "Cache hit",
                                 "Invalid idx", "Long/idle tx"], rows))
        for d in report.databases {
            var details: [String] = []
            if !d.largestTables.isEmpty {
                details.append("largest tables: " + d.largestTables.prefix(3).map { "\($0.name) \(Format.bytes($0.bytes))" }.joined(separator: ", "))
            }
            if !d.largestIndexes.isEmpty {
                details.append("largest indexes: " + d.largestIndexes.prefix(3).map { "\($0.name) \(Format.bytes($0.bytes))" }.joined(separator: ", "))
            }
            for t in d.tables.sorted(by: { $0.deadTuples > $1.deadTuples }).prefix(3) where t.deadTuples > 0 {
                details.append("\(t.name): \(Format.count(t.deadTuples)) dead tuples, bloat ≈ \(Format.bytes(t.bloatEstimateBytes)), "
                               + "last vacuum \(when(t.lastVacuum, t.lastAutovacuum)), last analyze \(when(t.lastAnalyze, t.lastAutoanalyze))")
            }
            if !d.unusedIndexes.isEmpty {
                details.append("never used since the statistics were reset: "
                               + d.unusedIndexes.map { "\($0.name) (\(Format.bytes($0.bytes)))" }.joined(separator: ", "))
            }
            for group in d.duplicateIndexes {
                details.append("duplicate indexes on \(group.table): \(group.indexes.joined(separator: ", ")) (\(Format.bytes(group.redundantBytes)) redundant)")
            }
            for update in d.extensionsWithUpdates {
                details.append("extension \(update.name) \(update.installed) → \(update.available) available (ALTER EXTENSION \(update.name) UPDATE)")
            }
            if !details.isEmpty { out.append("\(d.name):"); out += details.map { "  " + $0 } }
        }
        for warning in report.warnings {
            out.append((colour ? "\u{1B}[33mwarning\u{1B}[0m: " : "warning: ") + warning.description)
        }
        return out
    }

    /// "+12.3 MiB" since the newest dump, "-" when unknown.
    static func growth(_ d: DatabaseHealth) -> String {
        guard let growth = d.growthSinceLastBackup else { return "-" }
        return (growth < 0 ? "-" : "+") + Format.bytes(abs(growth))
    }

    /// The later of the manual and the automatic run, or "never".
    static func when(_ manual: Date?, _ automatic: Date?) -> String {
        [manual, automatic].compactMap { $0 }.max().map(Format.time) ?? "never"
    }
}
