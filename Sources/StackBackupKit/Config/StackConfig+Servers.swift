import Foundation

/// One database of one configured server, and the source its snapshots are filed under.
public struct DatabaseTarget: Sendable, Equatable {
    public var server: PostgresSettings
    public var database: String
    public var source: String

    public init(server: PostgresSettings, database: String, source: String? = nil) {
        self.server = server
        self.database = database
        self.source = source ?? server.source(of: database)
    }
}

/// A database or server named on the command line that the config cannot
/// place: an unknown server, or a database name found on several servers.
/// Its description says which names exist and how to choose. Usage error.
public struct ServerSelectionError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Finding servers and databases for the commands: `backup db`, `backup
/// globals`, `restore`, drills, `db …` and `run` all go through these, so a
/// name means the same thing everywhere.
extension StackConfig {
    /// Every configured database, server by server in file order.
    public var databaseTargets: [DatabaseTarget] {
        servers.flatMap { server in server.databases.map { DatabaseTarget(server: server, database: $0) } }
    }

    /// The config line key of a server's setting: "postgres.KEY" for the
    /// single form, "postgres.NAME.KEY" for the list form.
    public func lineKey(_ server: PostgresSettings, _ key: String) -> String {
        serverListForm ? "postgres.\(server.name).\(key)" : "postgres.\(key)"
    }

    var serverNames: String { servers.map(\.name).joined(separator: ", ") }

    /// The server named `name`; the error lists the configured ones.
    public func server(named name: String) throws -> PostgresSettings {
        if let server = servers.first(where: { $0.name == name }) { return server }
        guard !servers.isEmpty else {
            throw ServerSelectionError("there is no server '\(name)': the config lists no PostgreSQL servers (no `postgres:` section, or `postgres: []`)")
        }
        throw ServerSelectionError("no PostgreSQL server named '\(name)' in the config; its servers: \(serverNames)")
    }

    /// `--server NAME`, or every server when nil.
    public func servers(selecting name: String?) throws -> [PostgresSettings] {
        guard let name else { return servers }
        return [try server(named: name)]
    }

    /// The configured database a command-line name means: a snapshot source
    /// name, else a database name; `server` (from `--server`) narrows the
    /// search to that server. Nil when the config does not list it. Throws when
    /// the name is a database on several servers and no server was given.
    public func configuredTarget(_ name: String, server: String? = nil) throws -> DatabaseTarget? {
        let candidates = try servers(selecting: server).flatMap { s in s.databases.map { DatabaseTarget(server: s, database: $0) } }
        if let bySource = candidates.first(where: { $0.source == name }) { return bySource }
        let byDatabase = candidates.filter { $0.database == name }
        guard byDatabase.count > 1 else { return byDatabase.first }
        let listed = byDatabase.map { "\($0.server.name) (source \($0.source))" }.joined(separator: ", ")
        let choices = byDatabase.map { "--server \($0.server.name)" }.joined(separator: " or ")
        throw ServerSelectionError("database '\(name)' is on \(byDatabase.count) servers: \(listed); give \(choices), or the source name")
    }

    /// What `backup db` / `db …` work on: the named databases (each a source
    /// or database name; a name the config does not list is a database on
    /// the only, or the `--server`, server), else every database of the
    /// selected servers.
    public func databaseTargets(_ names: [String], server: String? = nil) throws -> [DatabaseTarget] {
        let selected = try servers(selecting: server)
        guard !names.isEmpty else {
            return selected.flatMap { s in s.databases.map { DatabaseTarget(server: s, database: $0) } }
        }
        return try names.map { name in
            if let target = try configuredTarget(name, server: server) { return target }
            guard selected.count == 1, let only = selected.first else {
                if selected.isEmpty {
                    throw ServerSelectionError("database '\(name)' has no server: the config lists no PostgreSQL servers (no `postgres:` section, or `postgres: []`); add a `postgres:` section with the server")
                }
                throw ServerSelectionError("database '\(name)' is not in the config, which has \(selected.count) servers (\(serverNames)): give --server NAME to say which one holds it")
            }
            return DatabaseTarget(server: only, database: name, source: name)
        }
    }

    /// `databaseTargets(names, server:)` server by server, in config order. With
    /// no names, every selected server, also one without databases (`db
    /// status` then looks at every database on it).
    public func serverGroups(_ names: [String], server: String? = nil) throws -> [(server: PostgresSettings, targets: [DatabaseTarget])] {
        if names.isEmpty {
            return try servers(selecting: server).map { s in (s, s.databases.map { DatabaseTarget(server: s, database: $0) }) }
        }
        let targets = try databaseTargets(names, server: server)
        return servers.compactMap { s in
            let mine = targets.filter { $0.server.name == s.name }
            return mine.isEmpty ? nil : (s, mine)
        }
    }

    /// The source name to look up for a bare WHAT of `restore` or a drill:
    /// the configured source it means, else WHAT itself (a volume, an id
    /// prefix, a source no longer configured).
    public func snapshotSource(for what: String, server: String? = nil) throws -> String {
        guard !what.contains(":") else { return what }
        return try configuredTarget(what, server: server)?.source ?? what
    }

    /// Where a database snapshot is restored (or drilled): `--server` when
    /// given, else the server the config files its source under, else the
    /// server it was taken from when configured, else the only server.
    /// `note` says when the snapshot came from another configured server.
    public func restoreServer(for snapshot: Snapshot, server flag: String? = nil) throws -> (server: PostgresSettings, note: String?) {
        let taken = snapshot.serverName
        func note(_ chosen: PostgresSettings, _ why: String) -> String? {
            guard chosen.name != taken, servers.contains(where: { $0.name == taken }) else { return nil }
            return "snapshot of \(snapshot.source) was taken on server '\(taken)'; restoring on server '\(chosen.name)' (\(why))"
        }
        if let flag {
            let chosen = try server(named: flag)
            return (chosen, note(chosen, "--server"))
        }
        if let configured = servers.first(where: { s in s.databases.contains { s.source(of: $0) == snapshot.source } }) {
            return (configured, note(configured, "the config's server of \(snapshot.source); give --server \(taken) to restore there"))
        }
        if let original = servers.first(where: { $0.name == taken }) { return (original, nil) }
        if servers.count == 1, let only = servers.first { return (only, nil) }
        guard !servers.isEmpty else {
            throw ServerSelectionError("the config lists no PostgreSQL servers (no `postgres:` section, or `postgres: []`) to restore \(snapshot.source) on; add one or use a config with a `postgres:` section")
        }
        throw ServerSelectionError("snapshot of \(snapshot.source) was taken on server '\(taken)', which the config does not name; give --server NAME (one of \(serverNames))")
    }
}

extension RetentionPolicySet {
    /// A `globals` override also applies to every other server's roles
    /// (`globals-NAME`) that has no override of its own.
    func applyingGlobalsOverride(to globalsSources: [String]) -> RetentionPolicySet {
        guard let globals = perSource["globals"] else { return self }
        var set = self
        for source in globalsSources where set.perSource[source] == nil { set.perSource[source] = globals }
        return set
    }
}
