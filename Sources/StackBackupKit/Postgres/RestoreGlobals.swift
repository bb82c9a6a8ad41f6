import Foundation

/// A globals snapshot creates the roles `--with-roles` asks for: each role
/// (and, through memberships, the roles it belongs to) only when it does not
/// exist yet, then its memberships.
extension GlobalsManifest: RestoreRoleSource {
    public func statementsCreating(roles wanted: [String]) throws -> [String] {
        let byName = Dictionary(roles.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        // The wanted roles plus every role they are members of, transitively.
        var needed: [String] = []
        var queue = wanted
        while let name = queue.popLast() {
            guard byName[name] != nil, !needed.contains(name) else { continue }
            needed.append(name)
            queue += memberships.filter { $0.member == name }.map(\.role)
        }
        var out: [String] = []
        for name in needed.sorted() {
            guard let role = byName[name] else { continue }
            var create = "CREATE ROLE \(RestoreGlobalsSQL.ident(name)) WITH"
            create += role.superuser ? " SUPERUSER" : " NOSUPERUSER"
            create += role.login ? " LOGIN" : " NOLOGIN"
            create += role.createdb ? " CREATEDB" : " NOCREATEDB"
            create += role.createrole ? " CREATEROLE" : " NOCREATEROLE"
            create += role.inherit ? " INHERIT" : " NOINHERIT"
            create += role.replication ? " REPLICATION" : " NOREPLICATION"
            create += role.bypassrls ? " BYPASSRLS" : " NOBYPASSRLS"
            create += " CONNECTION LIMIT \(role.connectionLimit)"
            if let hash = role.passwordHash, !hash.isEmpty { create += " PASSWORD \(RestoreGlobalsSQL.literal(hash))" }
            if let until = role.validUntil, !until.isEmpty { create += " VALID UNTIL \(RestoreGlobalsSQL.literal(until))" }
            out.append("DO $stackbackup$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = \(RestoreGlobalsSQL.literal(name))) THEN \(create); END IF; END $stackbackup$")
            if let comment = role.comment {
                out.append("COMMENT ON ROLE \(RestoreGlobalsSQL.ident(name)) IS \(RestoreGlobalsSQL.literal(comment))")
            }
            for setting in role.settings {
                guard let eq = setting.firstIndex(of: "=") else { continue }
                let key = setting[..<eq]
                guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else { continue }
                out.append("ALTER ROLE \(RestoreGlobalsSQL.ident(name)) SET \(key) TO \(RestoreGlobalsSQL.literal(String(setting[setting.index(after: eq)...])))")
            }
        }
        for membership in memberships where needed.contains(membership.member) {
            out.append("GRANT \(RestoreGlobalsSQL.ident(membership.role)) TO \(RestoreGlobalsSQL.ident(membership.member))" + (membership.adminOption ? " WITH ADMIN OPTION" : ""))
        }
        return out
    }
}

/// Quoting without a connection (standard_conforming_strings on, as since 9.1).
enum RestoreGlobalsSQL {
    static func ident(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    static func literal(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
}
