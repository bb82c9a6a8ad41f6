import Foundation

/// Binary COPY of an extension's type (pgvector's `vector`) needs that
/// extension on the target at the version that wrote the data or newer:
/// checked in the preflight against the version CREATE EXTENSION would
/// install, and again after pre-data against the version it did install,
/// both before any row is loaded.
struct ExtensionRequirement: Equatable {
    let extensionName: String
    /// The newest version any dumped column was written by.
    let version: String
    /// "schema.table.column" of the first column that needs it (for the message).
    let example: String
    let columns: Int

    /// One requirement per extension, over the tables being loaded: its newest
    /// recorded version, named by the first column written by that version.
    static func needed(by tables: [TableEntry]) -> [ExtensionRequirement] {
        let columns = tables.flatMap { table in (table.extensionColumns ?? []).map { (table: table.table, column: $0) } }
        return Dictionary(grouping: columns, by: \.column.extensionName).sorted { $0.key < $1.key }.map { name, list in
            let newest = list.max { ExtensionVersion.compare($0.column.extensionVersion, $1.column.extensionVersion) == .orderedAscending }!
            return ExtensionRequirement(extensionName: name, version: newest.column.extensionVersion,
                                        example: "\(newest.table).\(newest.column.column)", columns: list.count)
        }
    }

    /// What is wrong with `have` (nil: the extension is absent), or nil when it fits.
    func problem(have: String?, database: String, what: String) -> String? {
        let columns = columns == 1 ? example : "\(example) (and \(columns - 1) more column(s))"
        let need = "the snapshot of \(database) stores \(columns) as \(extensionName) \(version) values in binary COPY format"
        guard let have else {
            return "\(need), but the server has no \(extensionName) extension; install \(extensionName) \(version) or newer on the server, then restore again"
        }
        if ExtensionVersion.compare(have, version) == .orderedAscending {
            return "\(need), but \(what) is \(extensionName) \(have); install \(extensionName) \(version) or newer on the server, then restore again"
        }
        return nil
    }
}

/// Extension version strings ("0.8.1", "1.5", "0.7.0-beta"): numeric parts
/// compare as numbers, others as text, a missing part sorts first.
enum ExtensionVersion {
    static func compare(_ a: String, _ b: String) -> ComparisonResult {
        let left = parts(a), right = parts(b)
        for i in 0..<max(left.count, right.count) {
            guard i < left.count else { return .orderedAscending }
            guard i < right.count else { return .orderedDescending }
            let x = left[i], y = right[i]
            if let m = Int(x), let n = Int(y) {
                if m != n { return m < n ? .orderedAscending : .orderedDescending }
            } else if x != y {
                return x < y ? .orderedAscending : .orderedDescending
            }
        }
        return .orderedSame
    }

    static func parts(_ version: String) -> [String] {
        version.split(whereSeparator: { $0 == "." || $0 == "-" || $0 == "_" }).map(String.init)
    }
}

extension DatabaseRestorer {
    /// Preflight: the version `CREATE EXTENSION` (pre-data) would install.
    func checkExtensionVersionsAvailable(_ selected: [TableEntry], _ connection: PGConnection) throws {
        for requirement in ExtensionRequirement.needed(by: selected) {
            let result = try connection.query("SELECT default_version FROM pg_catalog.pg_available_extensions WHERE name = $1",
                                              [requirement.extensionName])
            let have = result.rowCount > 0 ? result.string(0, 0) : nil
            if let problem = requirement.problem(have: have, database: manifest.database, what: "the version CREATE EXTENSION installs there") {
                throw RestoreError(.missingExtensions, step: "preflight", message: problem + "; nothing was changed")
            }
        }
    }

    /// After pre-data, before any row: the version the new database has.
    func checkExtensionVersionsInstalled(_ selected: [TableEntry], on scratch: PGConnection) throws {
        for requirement in ExtensionRequirement.needed(by: selected) {
            let result = try scratch.query("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = $1", [requirement.extensionName])
            let have = result.rowCount > 0 ? result.string(0, 0) : nil
            if let problem = requirement.problem(have: have, database: manifest.database, what: "the version pre-data installed") {
                throw RestoreError(.missingExtensions, step: "extensions", message: problem)
            }
        }
    }
}
