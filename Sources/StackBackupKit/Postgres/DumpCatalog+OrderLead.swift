import Foundation

/// An append-ordered column put before a scattered unique key in the dump's
/// row order (e.g. `created_at` before a random-uuid primary key).
struct DumpOrderLead: Sendable {
    let name: String
    let type: String
    /// Rows with NULL in it sort last and get a COPY part of their own.
    let nullable: Bool
}

extension DumpCatalog {
    /// Types whose btree order is total and cheap to compare: timestamps,
    /// dates, integers, numeric.
    static let leadTypes: Set<Int64> = [1114, 1184, 1082, 20, 21, 23, 1700]

    /// Puts an append-ordered column before the key of tables whose key is
    /// scattered. Key order of random uuids mixes old and new rows: inserts
    /// land in every chunk (nothing deduplicates night after night),
    /// neighbouring rows share little (zstd compresses worse), and the server
    /// reads the heap in random order. With the lead, inserts append, rows
    /// stay in about insertion order and the heap is read nearly sequentially.
    ///
    /// A column qualifies when ANALYZE found it follows the physical order
    /// (correlation ≥ 0.5) while the key's first column does not
    /// (|correlation| < 0.3), a valid non-partial btree index starts with it
    /// (so ORDER BY is an index scan), and its type is in `leadTypes`. The
    /// wide gap keeps the choice from flipping night to night as updates
    /// move rows (a flip costs one full re-dump of the table). Of several,
    /// the best-correlated wins, the first column among near ties
    /// (`created_at` before `updated_at`). Without statistics the key alone
    /// is kept: the choice never guesses.
    func addOrderLeads(_ tables: inout [DumpTablePlan]) throws {
        let keyed = tables.indices.filter { !tables[$0].orderKey.isEmpty }
        guard !keyed.isEmpty else { return }
        var index: [Int64: Int] = [:]
        for i in keyed { index[tables[i].oid] = i }
        let oids = "{" + keyed.map { String(tables[$0].oid) }.joined(separator: ",") + "}"
        let stats = try connection.query("""
            SELECT c.oid, a.attname, s.correlation::text, a.attnotnull, format_type(a.atttypid, a.atttypmod), a.atttypid,
                   EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
                           WHERE i.indrelid = c.oid AND i.indkey[0] = a.attnum AND i.indisvalid AND i.indislive
                             AND i.indpred IS NULL AND am.amname = 'btree')
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND NOT s.inherited
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = s.attname AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.oid = ANY($1::oid[]) AND s.correlation IS NOT NULL
            ORDER BY c.oid, a.attnum
            """, [oids])
        var correlation: [Int64: [String: Double]] = [:]
        var candidates: [Int64: [(lead: DumpOrderLead, correlation: Double)]] = [:]
        for row in 0..<stats.rowCount {
            guard let oid = stats.int(row, 0), let name = stats.string(row, 1),
                  let value = stats.string(row, 2).flatMap(Double.init) else { continue }
            correlation[oid, default: [:]][name] = value
            guard stats.bool(row, 6) == true, let typeOID = stats.int(row, 5), DumpCatalog.leadTypes.contains(typeOID),
                  let type = stats.string(row, 4), value >= 0.5 else { continue }
            candidates[oid, default: []].append((DumpOrderLead(name: name, type: type, nullable: stats.bool(row, 3) != true), value))
        }
        for (oid, i) in index {
            let key = tables[i].orderKey
            let usable = candidates[oid, default: []].filter { c in !key.contains { $0.name == c.lead.name } }
            guard let first = correlation[oid]?[key[0].name], abs(first) < 0.3,
                  let top = usable.map(\.correlation).max(),
                  let best = usable.first(where: { $0.correlation >= top - 0.05 }) else { continue }
            tables[i].orderLead = best.lead
            tables[i].orderKey = [(name: best.lead.name, type: best.lead.type)] + key
        }
    }
}
