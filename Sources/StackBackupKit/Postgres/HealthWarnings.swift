import Foundation

/// Turns one database's health into the warnings `db status` highlights.
enum HealthWarnings {
    static func make(for health: DatabaseHealth, thresholds: HealthThresholds) -> [HealthWarning] {
        let db = health.name
        var warnings: [HealthWarning] = []
        func add(_ kind: HealthWarning.Kind, _ object: String?, _ message: String) {
            warnings.append(HealthWarning(database: db, kind: kind, object: object, message: message))
        }
        if health.wraparoundWarning {
            add(.wraparound, nil,
                "transaction-id age \(health.xidAge) / multixact age \(health.mxidAge) is past the warning threshold; run `stackbackup db vacuum \(db)` (VACUUM freezes old rows) before PostgreSQL forces a shutdown")
        }
        for index in health.invalidIndexes {
            add(.invalidIndex, index.name,
                "index \(index.name) on \(index.table) is invalid (a failed CREATE INDEX CONCURRENTLY?); run `stackbackup db reindex \(db) --invalid-only` or drop it")
        }
        for session in health.idleInTransaction {
            add(.idleInTransaction, "pid \(session.pid)",
                "session \(session.pid) (\(session.user ?? "?")) has been idle in a transaction for \(Int(session.seconds))s, holding locks and blocking vacuum; fix the application or end it with pg_terminate_backend(\(session.pid))")
        }
        for session in health.longTransactions {
            add(.longTransaction, "pid \(session.pid)",
                "session \(session.pid) (\(session.user ?? "?")) has had a transaction open for \(Int(session.seconds))s: \(session.query)")
        }
        for table in health.tables
        where table.bloatRatio >= thresholds.bloatRatioWarning && table.bloatEstimateBytes >= thresholds.bloatMinimumBytes
            && table.deadTuples > 0 {
            let percent = Int((table.bloatRatio * 100).rounded())
            add(.bloat, table.name,
                "table \(table.name) has \(table.deadTuples) dead tuples (\(percent)% of its rows, about \(table.bloatEstimateBytes) bytes); run `stackbackup db vacuum \(db) --table \(table.name)`")
        }
        for group in health.duplicateIndexes {
            add(.duplicateIndex, group.indexes.first,
                "indexes \(group.indexes.joined(separator: ", ")) on \(group.table) are identical; drop all but one to free \(group.redundantBytes) bytes")
        }
        if let ratio = health.cacheHitRatio, ratio < thresholds.cacheHitRatioWarning,
           health.cacheBlocks >= thresholds.cacheMinimumReads {
            add(.lowCacheHitRatio, nil,
                "cache hit ratio is \(String(format: "%.1f", ratio * 100))%; consider more shared_buffers or memory")
        }
        for ext in health.extensionsWithUpdates {
            add(.extensionUpdate, ext.name,
                "extension \(ext.name) \(ext.installed) can be updated to \(ext.available) (ALTER EXTENSION \(ext.name) UPDATE)")
        }
        return warnings
    }
}
