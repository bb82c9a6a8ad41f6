import Foundation

/// The root blob of a `globals` snapshot: the cluster's roles, memberships and
/// role settings, so a restore on a fresh server can recreate the owners.
/// Stored as canonical JSON (`BlobType.manifest`), which the repository
/// encrypts; password hashes appear nowhere else. Version 1.
public struct GlobalsManifest: Codable, Sendable, Equatable {
    public var version = 1
    public var serverVersion: Int
    public var dumpedAt: Date
    /// Whether `passwordHash` was readable (pg_authid); false: roles come back without passwords.
    public var includesPasswords: Bool
    public var roles: [GlobalsRole]
    public var memberships: [GlobalsMembership]

    public init(serverVersion: Int, dumpedAt: Date, includesPasswords: Bool, roles: [GlobalsRole], memberships: [GlobalsMembership]) {
        self.serverVersion = serverVersion
        self.dumpedAt = dumpedAt
        self.includesPasswords = includesPasswords
        self.roles = roles
        self.memberships = memberships
    }

    enum CodingKeys: String, CodingKey {
        case version, serverVersion = "server_version", dumpedAt = "dumped_at", includesPasswords = "includes_passwords"
        case roles, memberships
    }
}

public struct GlobalsRole: Codable, Sendable, Equatable {
    public var name: String
    public var login: Bool
    public var superuser: Bool
    public var createdb: Bool
    public var createrole: Bool
    public var inherit: Bool
    public var replication: Bool
    public var bypassrls: Bool
    /// -1: no limit.
    public var connectionLimit: Int
    /// `rolvaliduntil` as the server prints it, nil when unset.
    public var validUntil: String?
    /// The SCRAM/MD5 hash from pg_authid, nil when unreadable or unset. Secret.
    public var passwordHash: String?
    public var comment: String?
    /// `ALTER ROLE … SET` for all databases (pg_db_role_setting with setdatabase = 0), "name=value".
    public var settings: [String]

    public init(name: String, login: Bool, superuser: Bool, createdb: Bool, createrole: Bool, inherit: Bool, replication: Bool,
                bypassrls: Bool, connectionLimit: Int, validUntil: String?, passwordHash: String?, comment: String?, settings: [String]) {
        self.name = name
        self.login = login
        self.superuser = superuser
        self.createdb = createdb
        self.createrole = createrole
        self.inherit = inherit
        self.replication = replication
        self.bypassrls = bypassrls
        self.connectionLimit = connectionLimit
        self.validUntil = validUntil
        self.passwordHash = passwordHash
        self.comment = comment
        self.settings = settings
    }

    enum CodingKeys: String, CodingKey {
        case name, login, superuser, createdb, createrole, inherit, replication, bypassrls
        case connectionLimit = "connection_limit", validUntil = "valid_until", passwordHash = "password_hash", comment, settings
    }
}

/// `GRANT role TO member [WITH ADMIN OPTION]`.
public struct GlobalsMembership: Codable, Sendable, Equatable {
    public var role: String
    public var member: String
    public var adminOption: Bool
    public var grantor: String?

    public init(role: String, member: String, adminOption: Bool, grantor: String?) {
        self.role = role
        self.member = member
        self.adminOption = adminOption
        self.grantor = grantor
    }

    enum CodingKeys: String, CodingKey { case role, member, adminOption = "admin_option", grantor }
}

public struct GlobalsResult: Sendable {
    public var manifestID: ObjectID
    public var manifest: GlobalsManifest
    public var includesPasswords: Bool
    public var roles: Int
    public var warnings: [String]
    /// The manifest blob as saved: its plain size and what it added to the repository.
    public var manifestSize: Int
    public var saved: SavedBlob
}

/// Dumps the cluster's roles (not the built-in `pg_*` ones), memberships and
/// role settings into one manifest blob. Reads password hashes from
/// `pg_authid` when the user may (superuser); otherwise from `pg_roles`
/// without them, with a warning. Blocks the calling thread.
public final class GlobalsDumper {
    private let connection: PGConnectionConfig
    private let store: BlobStore

    public init(connection: PGConnectionConfig, store: BlobStore) {
        self.connection = connection
        self.store = store
    }

    public func dump() throws -> GlobalsResult {
        var config = connection
        config.applicationName = connection.applicationName + "-globals"
        let db = try PGConnection.connect(config)
        try db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        let now = try db.execute("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), current_user")
        let user = now.string(0, 1) ?? "the backup user"
        var warnings: [String] = []
        var includesPasswords = true
        let columns = """
            r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolinherit, r.rolreplication,
            r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil::text, %@, shobj_description(r.oid, 'pg_authid')
            """
        let filter = "WHERE r.rolname !~ '^pg_' ORDER BY r.rolname"
        var roles: PGResult
        do {
            try db.execute("SAVEPOINT authid")
            roles = try db.execute("SELECT \(columns.replacingOccurrences(of: "%@", with: "r.rolpassword")) FROM pg_authid r \(filter)")
        } catch let error as PGError where error.sqlState == "42501" {
            try db.execute("ROLLBACK TO SAVEPOINT authid")
            includesPasswords = false
            warnings.append("password hashes not readable by \(user): roles will be restored without passwords")
            roles = try db.execute("SELECT \(columns.replacingOccurrences(of: "%@", with: "NULL::text")) FROM pg_roles r \(filter)")
        }

        var settings: [String: [String]] = [:]
        let settingRows = try db.execute("""
            SELECT r.rolname, c.setting FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
            CROSS JOIN LATERAL unnest(s.setconfig) WITH ORDINALITY AS c(setting, ord)
            WHERE s.setdatabase = 0 ORDER BY r.rolname, c.ord
            """)
        for row in 0..<settingRows.rowCount {
            if let role = settingRows.string(row, 0), let setting = settingRows.string(row, 1) { settings[role, default: []].append(setting) }
        }

        var list: [GlobalsRole] = []
        for row in 0..<roles.rowCount {
            guard let name = roles.string(row, 0) else { continue }
            list.append(GlobalsRole(
                name: name, login: roles.bool(row, 1) == true, superuser: roles.bool(row, 2) == true,
                createdb: roles.bool(row, 3) == true, createrole: roles.bool(row, 4) == true, inherit: roles.bool(row, 5) != false,
                replication: roles.bool(row, 6) == true, bypassrls: roles.bool(row, 7) == true,
                connectionLimit: Int(roles.int(row, 8) ?? -1), validUntil: roles.string(row, 9), passwordHash: roles.string(row, 10),
                comment: roles.string(row, 11), settings: settings[name] ?? []))
        }

        let members = try db.execute("""
            SELECT r.rolname, m.rolname, a.admin_option, g.rolname FROM pg_auth_members a
            JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
            LEFT JOIN pg_roles g ON g.oid = a.grantor
            WHERE m.rolname !~ '^pg_' ORDER BY 1, 2, 4
            """)
        var memberships: [GlobalsMembership] = []
        for row in 0..<members.rowCount {
            guard let role = members.string(row, 0), let member = members.string(row, 1) else { continue }
            memberships.append(GlobalsMembership(role: role, member: member, adminOption: members.bool(row, 2) == true,
                                                 grantor: members.string(row, 3)))
        }
        try db.execute("COMMIT")

        let manifest = GlobalsManifest(serverVersion: db.serverVersion, dumpedAt: DatabaseDumper.parseUTC(now.string(0, 0)) ?? Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)),
                                       includesPasswords: includesPasswords, roles: list, memberships: memberships)
        let bytes = try CanonicalJSON.encode(manifest)
        let saved = try store.saveBlob(.manifest, bytes: bytes)
        return GlobalsResult(manifestID: saved.id, manifest: manifest, includesPasswords: includesPasswords, roles: list.count,
                             warnings: warnings, manifestSize: bytes.count, saved: saved)
    }
}
