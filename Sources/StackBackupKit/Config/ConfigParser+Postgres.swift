import Foundation
import Yams

/// The `postgres:` section: one mapping (a server named `default`), or a list
/// of servers, each with its own `name:`:
///
/// ```yaml
/// postgres:
///   - name: default
///     host: 127.0.0.1
///     databases: [umami, backend, authelia]
///   - name: immich
///     port: 5433
///     pg_dump: docker exec -i immich_postgres pg_dump
///     databases: [immich, {name: app, source: app-immich}]
/// ```
///
/// Snapshot source names stay unique across servers: a database is filed under
/// its own name unless its entry gives a `source:`.
extension ConfigParser {
    static let postgresKeys = ConfigKeys.Server.allCases.filter { $0 != .name }

    /// A database of a server as written, with the node it was written at (for lines).
    struct DatabaseEntry {
        var name: String
        var source: String
        var node: YAMLNode
        var maxAge: TimeInterval? = nil
    }

    func servers(_ node: YAMLNode, lines: inout [String: Int], listForm: inout Bool) throws -> [PostgresSettings] {
        if reader.isNull(node) { return [PostgresSettings()] }
        guard case let .sequence(list) = node else {
            let (server, databases) = try server(node, name: PostgresSettings.defaultName, context: "'postgres'",
                                                 linePrefix: "postgres", listForm: false, lines: &lines)
            try checkSources([(server.name, databases)], globals: [(server.name, server.globalsSource)])
            return [server]
        }
        listForm = true
        var servers: [PostgresSettings] = []
        var entries: [(server: String, databases: [DatabaseEntry])] = []
        var nameLines: [String: Int] = [:]
        for item in list {
            guard case let .mapping(fields) = item else {
                throw reader.error(item, "each server under 'postgres' must be a mapping with a 'name:', not \(reader.kind(of: item))")
            }
            guard let nameNode = fields["name"] else {
                throw reader.error(item, "a server under 'postgres' has no 'name:'; give each server a name, e.g. `- name: immich`")
            }
            guard let name = try reader.string(nameNode, "name"), SourceName.isValid(name) else {
                throw reader.error(nameNode, "server name '\(try reader.string(nameNode, "name") ?? "")' is not usable; \(SourceName.rule)")
            }
            if let first = nameLines[name] {
                throw reader.error(nameNode, "server name '\(name)' is used twice (first on line \(first)); give each server its own name")
            }
            nameLines[name] = nameNode.mark?.line ?? 0
            lines["postgres.\(name)"] = nameNode.mark?.line
            let parsed = try problems.collecting(nil) {
                try server(item, name: name, context: "server '\(name)'", linePrefix: "postgres.\(name)", listForm: true, lines: &lines)
            }
            guard let (server, databases) = parsed else { continue }
            servers.append(server)
            entries.append((name, databases))
        }
        try checkSources(entries, globals: servers.map { ($0.name, $0.globalsSource) })
        return servers
    }

    /// One server's settings and its database entries.
    private func server(_ node: YAMLNode, name: String, context: String, linePrefix: String, listForm: Bool,
                        lines: inout [String: Int]) throws -> (PostgresSettings, [DatabaseEntry]) {
        var settings = PostgresSettings(name: name)
        var entries = PostgresSettings.defaultDatabases.map { DatabaseEntry(name: $0, source: $0, node: node) }
        let mapping = try reader.mapping(node, context)
        if !listForm, let nameNode = mapping.keys.first(where: { (try? reader.keyText($0, context)) == "name" }) {
            throw reader.error(nameNode, "'name' names a server of the list form: write `postgres:` as a list (`- name: …`) or leave 'name' out (the single server is called '\(PostgresSettings.defaultName)')")
        }
        var sawDatabases = false
        for entry in try reader.entries(mapping, allowed: listForm ? ConfigKeys.Server.allCases : Self.postgresKeys, context: context) {
            let value = entry.value, key = entry.key.rawValue
            if let line = entry.keyNode.mark?.line { lines["\(linePrefix).\(key)"] = line }
            try problems.collecting(()) {
                switch entry.key {
                case .name: return
                case .host: settings.host = try reader.string(value, key)
                case .port:
                    settings.port = try reader.int(value, key, minimum: 1)
                    if let port = settings.port, port > 65_535 {
                        throw reader.error(value, "'port' must be a TCP port between 1 and 65535, not \(port)")
                    }
                case .user: settings.user = try reader.string(value, key)
                case .dbname: settings.dbname = try reader.string(value, key) ?? settings.dbname
                case .passwordFile: settings.passwordFile = try path(value, key)
                case .sslmode:
                    settings.sslMode = try reader.string(value, key)
                    if let mode = settings.sslMode, !PostgresSettings.sslModes.contains(mode) {
                        throw reader.error(value, "'sslmode' must be one of \(PostgresSettings.sslModes.joined(separator: ", ")), not '\(mode)'")
                    }
                case .connectTimeout:
                    if let seconds = try reader.interval(value, key) { settings.connectTimeout = max(1, Int(seconds.rounded(.up))) }
                case .databases:
                    sawDatabases = true
                    entries = try databases(value)
                case .jobs:
                    settings.jobs = try reader.int(value, key, minimum: 1) ?? settings.jobs
                case .pgDump, .pgRestore:
                    let words: [String]
                    if case .sequence = value {
                        words = try reader.strings(value, key)
                    } else {
                        words = (try reader.string(value, key) ?? "").split(separator: " ").map(String.init)
                    }
                    guard !words.isEmpty else {
                        throw reader.error(value, "'\(key)' must name a command, e.g. \(key) or \"docker exec -i postgres \(key)\"")
                    }
                    if entry.key == .pgDump { settings.pgDump = words } else { settings.pgRestore = words }
                case .lockTimeout:
                    settings.lockTimeout = try reader.interval(value, key) ?? settings.lockTimeout
                case .maxAge:
                    settings.maxAge = try maxAge(value)
                }
            }
        }
        // The default list suits one server; two servers defaulting to it would hold the same sources.
        if listForm && !sawDatabases {
            throw reader.error(node, "server '\(name)' has no 'databases:'; list the databases to back up from it (or `databases: []`)")
        }
        settings.databases = entries.map(\.name)
        settings.sourceNames = Dictionary(entries.filter { $0.source != $0.name }.map { ($0.name, $0.source) },
                                          uniquingKeysWith: { first, _ in first })
        settings.databaseMaxAges = Dictionary(entries.compactMap { e in e.maxAge.map { (e.name, $0) } },
                                              uniquingKeysWith: { first, _ in first })
        return (settings, entries)
    }

    /// `databases:` entries: a name, or `{name: DB, source: SOURCE}` to file the
    /// database's snapshots under another source name.
    func databases(_ node: YAMLNode) throws -> [DatabaseEntry] {
        let items: [YAMLNode]
        switch node {
        case let .sequence(sequence): items = Array(sequence)
        default: items = reader.isNull(node) ? [] : [node]
        }
        var result: [DatabaseEntry] = []
        for item in items {
            var entry: DatabaseEntry
            if case let .mapping(fields) = item {
                var name: String?, source: String?, maxAge: TimeInterval?
                for field in try reader.entries(fields, allowed: ConfigKeys.DatabaseEntry.allCases, context: "a database entry") {
                    switch field.key {
                    case .name: name = try reader.string(field.value, field.key.rawValue)
                    case .source: source = try reader.string(field.value, field.key.rawValue)
                    case .maxAge: maxAge = try self.maxAge(field.value)
                    }
                }
                guard let name, !name.isEmpty else {
                    throw reader.error(item, "a database entry has no 'name:'; write `{name: DB, source: SOURCE}` or just the database name")
                }
                entry = DatabaseEntry(name: name, source: source ?? name, node: item, maxAge: maxAge)
                guard SourceName.isValid(entry.source) else {
                    throw reader.error(item, "source name '\(entry.source)' of database '\(name)' is not usable; \(SourceName.rule)")
                }
            } else {
                guard case let .scalar(scalar) = item, !reader.isNull(item) else {
                    throw reader.error(item, "every entry of 'databases' must be a database name or {name: DB, source: SOURCE}, not \(reader.kind(of: item))")
                }
                entry = DatabaseEntry(name: scalar.string, source: scalar.string, node: item)
                guard SourceName.isValid(entry.name) else {
                    throw reader.error(item, "database name '\(entry.name)' cannot be used as a source name; \(SourceName.rule); or give it one with {name: \(entry.name), source: SOURCE}")
                }
            }
            guard !result.contains(where: { $0.name == entry.name }) else {
                throw reader.error(item, "database '\(entry.name)' is listed twice under 'databases'")
            }
            result.append(entry)
        }
        return result
    }

    /// Every database source is unique across servers and differs from every
    /// server's roles (`globals…`) source.
    private func checkSources(_ servers: [(server: String, databases: [DatabaseEntry])], globals: [(server: String, source: String)]) throws {
        var seen: [String: (server: String, database: String, line: Int?)] = [:]
        for (server, databases) in servers {
            for entry in databases {
                if let roles = globals.first(where: { $0.source == entry.source }) {
                    throw reader.error(entry.node, "database '\(entry.name)' of server '\(server)' would be filed as '\(entry.source)', the source of server '\(roles.server)'s roles; give it another source: {name: \(entry.name), source: \(entry.name)-db}")
                }
                if let first = seen[entry.source] {
                    let whereFirst = first.line.map { " (line \($0))" } ?? ""
                    let suggestion = "{name: \(entry.name), source: \(entry.name)-\(server)}"
                    let what = first.database == entry.name ? "database '\(entry.name)' is on servers '\(first.server)'\(whereFirst) and '\(server)'"
                        : "database '\(entry.name)' of server '\(server)' and database '\(first.database)' of server '\(first.server)'\(whereFirst)"
                    throw reader.error(entry.node, "\(what): both would be snapshot source '\(entry.source)'; give one of them its own source name, e.g. \(suggestion)")
                }
                seen[entry.source] = (server, entry.name, entry.node.mark?.line)
            }
        }
    }
}
