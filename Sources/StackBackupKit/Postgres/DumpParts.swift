import Foundation

/// One COPY a worker runs: a whole table or one key/ctid range of it.
struct DumpWorkItem: Sendable {
    let table: Int
    let part: Int
    let sql: String
    let size: Int64
}

extension DumpCatalog {
    /// The COPY statements of `table`: one, or several key (ctid) ranges when
    /// its heap is larger than `threshold`. Ranges are contiguous and disjoint,
    /// in key (block) order, so their concatenation is the whole table in order.
    func copyStatements(for table: DumpTablePlan, threshold: Int64) throws -> [String] {
        let parts = table.size > threshold && threshold > 0 ? Int(min(64, (table.size + threshold - 1) / threshold)) : 1
        var ranges: [String] = [""]
        if parts > 1 {
            ranges = table.orderKey.isEmpty
                ? try ctidRanges(table, parts: parts)
                : try keyRanges(table, parts: parts)
        }
        return ranges.map { copySQL(table, where: $0) }
    }

    func copySQL(_ table: DumpTablePlan, where condition: String) -> String {
        let relation = "ONLY \(connection.escapeIdentifier(table.name.schema)).\(connection.escapeIdentifier(table.name.name))"
        let format = table.binary ? " (FORMAT binary)" : ""
        if table.columns.isEmpty {
            // A table without columns still has rows: COPY writes an empty line per row.
            return "COPY (SELECT FROM \(relation)\(condition.isEmpty ? "" : " WHERE \(condition)")) TO STDOUT"
        }
        let columns = table.columns.map { connection.escapeIdentifier($0.name) }.joined(separator: ", ")
        let order = table.orderKey.isEmpty ? "" : " ORDER BY " + table.orderKey.map { connection.escapeIdentifier($0.name) }.joined(separator: ", ")
        let filter = condition.isEmpty ? "" : " WHERE \(condition)"
        return "COPY (SELECT \(columns) FROM \(relation)\(filter)\(order)) TO STDOUT\(format)"
    }

    /// Boundaries from a repeatable block sample of the key, so an unchanged
    /// table gets the same ranges (and so the same chunks) on the next night.
    /// With an order lead the bounds are on the lead alone (an index range
    /// scan each); its NULLs, which sort last, are the last part.
    private func keyRanges(_ table: DumpTablePlan, parts: Int) throws -> [String] {
        let relation = "ONLY \(connection.escapeIdentifier(table.name.schema)).\(connection.escapeIdentifier(table.name.name))"
        let boundKey = table.orderLead == nil ? table.orderKey : [table.orderKey[0]]
        let keyNames = boundKey.map { connection.escapeIdentifier($0.name) }
        let tuples = try connection.query("SELECT reltuples FROM pg_class WHERE oid = $1::oid", [String(table.oid)])
        let estimated = max(1.0, Double(tuples.string(0, 0) ?? "") ?? 1)
        let wanted = Double(parts * 200)
        let percent = min(100, max(0.001, 100 * wanted / estimated))
        let nullable = table.orderLead?.nullable == true
        let notNull = nullable ? " WHERE \(keyNames[0]) IS NOT NULL" : ""
        // Output columns are renamed so ORDER BY sorts by the key's type, not its text.
        let sample = try connection.execute("""
            SELECT \(keyNames.enumerated().map { "\($1)::text AS bound\($0)" }.joined(separator: ", ")) FROM \(relation)
            TABLESAMPLE SYSTEM (\(String(format: "%.6f", percent))) REPEATABLE (7)\(notNull) ORDER BY \(keyNames.joined(separator: ", "))
            """)
        let count = sample.rowCount
        guard count >= parts else { return [""] }
        var bounds: [[String]] = []
        for i in 1..<parts {
            let row = count * i / parts
            let values = (0..<keyNames.count).compactMap { sample.string(row, $0) }
            guard values.count == keyNames.count else { continue }
            if bounds.last != values { bounds.append(values) }
        }
        guard !bounds.isEmpty else { return [""] }
        let lhs = keyNames.count == 1 ? keyNames[0] : "(\(keyNames.joined(separator: ", ")))"
        func literal(_ values: [String]) -> String {
            let items = zip(values, boundKey).map { "\(connection.escapeLiteral($0.0))::\($0.1.type)" }
            return items.count == 1 ? items[0] : "(\(items.joined(separator: ", ")))"
        }
        var ranges = ["\(lhs) < \(literal(bounds[0]))"]
        for i in 1..<bounds.count {
            ranges.append("\(lhs) >= \(literal(bounds[i - 1])) AND \(lhs) < \(literal(bounds[i]))")
        }
        ranges.append("\(lhs) >= \(literal(bounds[bounds.count - 1]))")
        if nullable { ranges.append("\(keyNames[0]) IS NULL") }
        return ranges
    }

    /// Block ranges for a table without a usable key (TID range scans, PG 14+).
    private func ctidRanges(_ table: DumpTablePlan, parts: Int) throws -> [String] {
        let blockSize = Int64(try connection.execute("SELECT current_setting('block_size')").int(0, 0) ?? 8192)
        let blocks = max(1, table.heapSize / max(1, blockSize))
        guard blocks >= Int64(parts) else { return [""] }
        let bounds = (1..<parts).map { blocks * Int64($0) / Int64(parts) }
        var ranges = ["ctid < '(\(bounds[0]),0)'::tid"]
        for i in 1..<bounds.count {
            ranges.append("ctid >= '(\(bounds[i - 1]),0)'::tid AND ctid < '(\(bounds[i]),0)'::tid")
        }
        ranges.append("ctid >= '(\(bounds[bounds.count - 1]),0)'::tid")
        return ranges
    }
}
