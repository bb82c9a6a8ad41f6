import Foundation

/// What the preflight found; nothing has been changed yet.
struct Preflight {
    var targetExists: Bool
    var targetHasData: Bool
    /// The schema archive restored by pg_restore (manifest version 2); nil
    /// for a plain-SQL snapshot (version 1), whose scripts run statement by statement.
    var archive: RestoreArchive?
    /// The pre-data and post-data SQL: what runs (version 1), or what
    /// pg_restore will run (version 2: its script, for roles, grants and the plan).
    var preData: RestoreScript
    var postData: RestoreScript
    /// Tables whose data is loaded (all, or those matching `--table`).
    var selected: [TableEntry]
    /// Missing roles left out with `--no-owner` (their grants and settings skipped).
    var skipRoles: Set<String>
    /// Missing roles `--with-roles` creates (for the plan).
    var rolesToCreate: [String]
}

extension DatabaseRestorer {
    /// Checks, before anything is changed: options, server version, the
    /// target, extensions, then roles (creating them with `--with-roles` when
    /// `createRoles`, after every other check passed). Throws a `RestoreError`
    /// naming the first problem.
    func preflight(_ connection: PGConnection, createRoles: Bool) throws -> Preflight {
        let target = options.target
        guard !target.isEmpty, target.utf8.count <= 63 else {
            throw RestoreError(.invalidOptions, step: "preflight", message: "\"\(target)\" is not a usable database name (1 to 63 bytes); choose another with --into")
        }
        guard options.jobs >= 1 else {
            throw RestoreError(.invalidOptions, step: "preflight", message: "--jobs must be at least 1")
        }
        if connection.serverVersion / 10000 < manifest.serverVersion / 10000 {
            // Its pg_dump wrote SQL and catalog state of the newer major, which an older server may not understand.
            throw RestoreError(.serverTooOld, step: "preflight", message: "the server runs PostgreSQL \(connection.serverVersion / 10000) but the snapshot of \(manifest.database) was taken from PostgreSQL \(manifest.serverVersionString): a dump from a newer major cannot be loaded into an older server; restore onto PostgreSQL \(manifest.serverVersion / 10000) or newer (nothing was changed)")
        }

        let selected = try selectTables()

        let exists = try databaseExists(target, connection)
        let hasData = exists ? try databaseHasData(target) : false
        if hasData && !options.replace {
            throw RestoreError(.targetHoldsData, step: "preflight", message: "database \(target) exists and holds data; use --replace to swap it in after a full restore, or --into NEWNAME")
        }

        guard manifest.version <= DatabaseManifest.currentVersion else {
            throw RestoreError(.invalidOptions, step: "preflight", message: "the snapshot of \(manifest.database) has manifest version \(manifest.version), newer than this stackbackup reads (\(DatabaseManifest.currentVersion)); restore it with a newer stackbackup")
        }
        var archive: RestoreArchive?
        let preData: RestoreScript
        let postData: RestoreScript
        if let schema = manifest.schema {
            let loaded = try RestoreArchive(schema, store: store, pgRestore: options.pgRestore, connection: admin, database: manifest.database)
            archive = loaded
            preData = try loaded.script(section: "pre-data")
            postData = try loaded.script(section: "post-data")
        } else {
            preData = RestoreScript(try loadSQL(manifest.preData, section: "pre-data"))
            postData = RestoreScript(try loadSQL(manifest.postData, section: "post-data"))
        }

        // Extensions the dump created must be installable here. Checked before
        // roles, since `--with-roles` creates them: the last change a preflight may make.
        let wanted = manifest.extensions.keys.filter { $0 != "plpgsql" }.sorted()
        if !wanted.isEmpty {
            let result = try connection.execute("SELECT name FROM pg_catalog.pg_available_extensions")
            var available = Set<String>()
            for row in 0..<result.rowCount { if let name = result.string(row, 0) { available.insert(name) } }
            let absent = wanted.filter { !available.contains($0) }
            if !absent.isEmpty {
                let list = absent.map { "\($0) \(manifest.extensions[$0] ?? "")" }.joined(separator: ", ")
                throw RestoreError(.missingExtensions, step: "preflight", message: "the extension(s) \(list) used by \(manifest.database) are not available on the server; install their packages on the server, then restore again; nothing was changed")
            }
        }

        try checkExtensionVersionsAvailable(selected, connection)

        // Roles: every owner, grantee and role with settings.
        var usage: [(role: String, usage: String)] = []
        let properties = RestoreDatabaseSQL(name: target, properties: manifest.properties,
                                            quote: connection.escapeIdentifier, literal: connection.escapeLiteral)
        usage += properties.referencedRoles
        usage += preData.referencedRoles
        usage += postData.referencedRoles
        for lo in manifest.largeObjects { usage.append((lo.owner, "owner of large object \(lo.oid)")) }
        var missing = try missingRoles(Set(usage.map(\.role)), connection)
        var rolesToCreate: [String] = []
        if !missing.isEmpty && options.withRoles && !options.noOwner {
            guard let source = options.roles else {
                throw RestoreError(.missingRoles, step: "preflight", message: "--with-roles needs a globals snapshot and there is none; run `stackbackup backup globals` on the source server, or create the roles \(missing.sorted().joined(separator: ", ")) by hand")
            }
            rolesToCreate = missing.sorted()
            if createRoles {
                do {
                    for statement in try source.statementsCreating(roles: rolesToCreate) {
                        try connection.execute(statement)
                    }
                } catch {
                    throw RestoreError(.missingRoles, step: "roles", message: "creating the roles \(rolesToCreate.joined(separator: ", ")) from the globals snapshot failed: \(error)")
                }
                missing = try missingRoles(missing, connection)
            }
        }
        if !missing.isEmpty && !options.noOwner && (createRoles || !options.withRoles) {
            let first = missing.sorted()[0]
            let uses = usage.filter { $0.role == first }.map(\.usage)
            var what = uses.prefix(2).joined(separator: ", ")
            if uses.count > 2 { what += " and \(uses.count - 2) more" }
            let others = missing.count > 1 ? " (and \(missing.count - 1) more: \(missing.sorted().dropFirst().joined(separator: ", ")))" : ""
            throw RestoreError(.missingRoles, step: "preflight", message: "role \(first) (\(what)) does not exist on the server\(others); restore globals first with --with-roles or create it, or use --no-owner")
        }

        return Preflight(targetExists: exists, targetHasData: hasData, archive: archive, preData: preData, postData: postData,
                         selected: selected, skipRoles: options.noOwner ? missing : [], rolesToCreate: rolesToCreate)
    }

    /// The manifest's tables matching `--table` patterns, largest first.
    func selectTables() throws -> [TableEntry] {
        var selected = manifest.tables
        if !options.tables.isEmpty {
            for pattern in options.tables where !manifest.tables.contains(where: { RestoreTablePattern.matches(pattern, $0.table) }) {
                throw RestoreError(.invalidOptions, step: "preflight", message: "--table \(pattern) matches no table in the snapshot of \(manifest.database); patterns look like public.website_* or website_event")
            }
            selected = manifest.tables.filter { table in options.tables.contains { RestoreTablePattern.matches($0, table.table) } }
        }
        return selected.sorted { $0.bytes > $1.bytes }
    }

    func databaseExists(_ name: String, _ connection: PGConnection) throws -> Bool {
        try connection.query("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", [name]).rowCount > 0
    }

    /// Whether a database holds any user relation or large object. One that
    /// cannot be connected to counts as holding data.
    func databaseHasData(_ name: String) throws -> Bool {
        guard let connection = try? PGConnection.connect(admin.withDatabase(name), retries: 1) else { return true }
        let result = try connection.execute("""
            SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                           WHERE c.relkind IN ('r', 'p', 'm', 'S', 'v', 'f')
                             AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                             AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%')
                OR EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata)
            """)
        return result.bool(0, 0) ?? true
    }

    func missingRoles(_ roles: Set<String>, _ connection: PGConnection) throws -> Set<String> {
        var missing = Set<String>()
        for role in roles where !role.isEmpty {
            if try connection.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [role]).rowCount == 0 {
                missing.insert(role)
            }
        }
        return missing
    }

    /// Loads and joins the SQL blobs of a section.
    func loadSQL(_ ids: [ObjectID], section: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids {
            do {
                bytes += try store.loadBlob(.data, id: id)
            } catch {
                throw RestoreError(RestoreError.code(for: error), step: section, message: "the \(section) SQL of \(manifest.database) cannot be read (blob \(id.short)): \(error); nothing was changed")
            }
        }
        return bytes
    }
}

/// `--table` patterns: `*` and `?` wildcards; with a dot they match
/// `schema.table`, without one the table name in any schema.
enum RestoreTablePattern {
    static func matches(_ pattern: String, _ name: QualifiedName) -> Bool {
        if pattern.contains(".") { return glob(Array(pattern), Array(name.description)) }
        return glob(Array(pattern), Array(name.name))
    }

    static func glob(_ p: [Character], _ s: [Character]) -> Bool {
        var pi = 0, si = 0
        var star = -1, mark = 0
        while si < s.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == s[si]) {
                pi += 1; si += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi; mark = si; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; si = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
