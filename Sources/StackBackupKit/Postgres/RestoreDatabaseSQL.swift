import Foundation

/// The SQL that recreates a database's own properties (what `pg_restore`
/// without `--create` loses) on a database of any name.
struct RestoreDatabaseSQL {
    let name: String
    let properties: DatabaseProperties
    let quote: (String) -> String
    let literal: (String) -> String

    /// `CREATE DATABASE … TEMPLATE template0 ENCODING … LC_COLLATE … LC_CTYPE …
    /// [LOCALE_PROVIDER … ICU_LOCALE …]`. Throws when the server cannot
    /// express the locale provider (ICU before PostgreSQL 15).
    func create(serverVersion: Int) throws -> String {
        var sql = "CREATE DATABASE \(quote(name)) TEMPLATE template0 ENCODING \(literal(properties.encoding))"
        sql += " LC_COLLATE \(literal(properties.collate)) LC_CTYPE \(literal(properties.ctype))"
        switch properties.localeProvider {
        case "i", "icu":
            guard serverVersion >= 150000 else {
                throw RestoreError(step: "create database", message: "the dumped database uses ICU collation, which this server (before PostgreSQL 15) cannot create; restore onto PostgreSQL 15 or newer")
            }
            sql += " LOCALE_PROVIDER icu"
            if let icu = properties.iculocale, !icu.isEmpty { sql += " ICU_LOCALE \(literal(icu))" }
        case "b", "builtin":
            guard serverVersion >= 170000 else {
                throw RestoreError(step: "create database", message: "the dumped database uses the builtin locale provider, which needs PostgreSQL 17 or newer on the target server")
            }
            sql += " LOCALE_PROVIDER builtin"
            if let locale = properties.iculocale, !locale.isEmpty { sql += " BUILTIN_LOCALE \(literal(locale))" }
        default:
            if serverVersion >= 150000 { sql += " LOCALE_PROVIDER libc" }
        }
        return sql
    }

    /// Owner and comment: set right after creation (objects created later do not depend on them).
    func ownerAndComment(noOwner: Bool) -> [String] {
        var out: [String] = []
        if !noOwner { out.append("ALTER DATABASE \(quote(name)) OWNER TO \(quote(properties.owner))") }
        if let comment = properties.comment {
            out.append("COMMENT ON DATABASE \(quote(name)) IS \(literal(comment))")
        }
        return out
    }

    /// Connection limit, grants, `ALTER DATABASE … SET` and per-role settings:
    /// applied after the data is in, since a setting such as
    /// `default_transaction_read_only` or a connection limit of 0 would get in the
    /// way of the restore itself. Roles in `skipRoles` (missing, with
    /// `--no-owner`) are left out.
    func finishing(noOwner: Bool, skipRoles: Set<String>) -> [String] {
        var out: [String] = []
        if properties.connectionLimit != -1 {
            out.append("ALTER DATABASE \(quote(name)) CONNECTION LIMIT \(properties.connectionLimit)")
        }
        if let acl = properties.acl {
            out.append("REVOKE ALL ON DATABASE \(quote(name)) FROM PUBLIC")
            if !noOwner { out.append("REVOKE ALL ON DATABASE \(quote(name)) FROM \(quote(properties.owner))") }
            for item in RestoreDatabaseSQL.parseACL(acl) {
                if let grantee = item.grantee, skipRoles.contains(grantee) { continue }
                let target = item.grantee.map(quote) ?? "PUBLIC"
                if !item.privileges.isEmpty {
                    out.append("GRANT \(item.privileges.joined(separator: ", ")) ON DATABASE \(quote(name)) TO \(target)")
                }
                if !item.grantable.isEmpty {
                    out.append("GRANT \(item.grantable.joined(separator: ", ")) ON DATABASE \(quote(name)) TO \(target) WITH GRANT OPTION")
                }
            }
        }
        for setting in properties.settings {
            if let clause = setClause(setting) { out.append("ALTER DATABASE \(quote(name)) SET \(clause)") }
        }
        for role in properties.roleSettings.keys.sorted() where !skipRoles.contains(role) {
            for setting in properties.roleSettings[role] ?? [] {
                if let clause = setClause(setting) {
                    out.append("ALTER ROLE \(quote(role)) IN DATABASE \(quote(name)) SET \(clause)")
                }
            }
        }
        return out
    }

    /// Roles the properties need: the owner, grantees, roles with settings.
    var referencedRoles: [(role: String, usage: String)] {
        var out: [(String, String)] = [(properties.owner, "owner of the database")]
        for item in properties.acl.map(RestoreDatabaseSQL.parseACL) ?? [] {
            if let grantee = item.grantee { out.append((grantee, "grantee on the database")) }
        }
        for role in properties.roleSettings.keys.sorted() { out.append((role, "has settings in the database")) }
        return out
    }

    /// Settings whose value is a list of separately quoted items (pg_dump's
    /// `GUC_LIST_QUOTE` variables).
    private static let listSettings: Set<String> = [
        "search_path", "temp_tablespaces", "session_preload_libraries",
        "shared_preload_libraries", "local_preload_libraries", "unix_socket_directories",
    ]

    /// `name = value` from the catalog's `name=value` form, as pg_dump writes it.
    func setClause(_ setting: String) -> String? {
        guard let eq = setting.firstIndex(of: "=") else { return nil }
        let key = String(setting[..<eq])
        let value = String(setting[setting.index(after: eq)...])
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else { return nil }
        if RestoreDatabaseSQL.listSettings.contains(key.lowercased()) {
            let items = RestoreDatabaseSQL.splitList(value)
            if items.isEmpty { return "\(key) TO ''" }
            return "\(key) TO " + items.map(literal).joined(separator: ", ")
        }
        return "\(key) TO \(literal(value))"
    }

    /// `"$user", public` → [`$user`, `public`].
    static func splitList(_ value: String) -> [String] {
        var items: [String] = []
        var current = ""
        var quoted = false
        var chars = Array(value)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { current.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                items.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(c)
            }
        }
        let last = current.trimmingCharacters(in: .whitespaces)
        if !last.isEmpty || !items.isEmpty { items.append(last) }
        return items
    }

    struct ACLItem: Equatable {
        /// nil for PUBLIC.
        var grantee: String?
        var privileges: [String]
        var grantable: [String]
    }

    /// Parses a database `aclitem[]` in text form: `{=Tc/postgres,"\"we ird\"=CTc/postgres"}`.
    static func parseACL(_ text: String) -> [ACLItem] {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        if body.hasPrefix("{") { body = body.dropFirst() }
        if body.hasSuffix("}") { body = body.dropLast() }
        // Array elements: quoted with backslash escapes, or bare up to a comma.
        var elements: [String] = []
        var chars = Array(body)[...]
        while !chars.isEmpty {
            var element = ""
            if chars.first == "\"" {
                chars.removeFirst()
                while let c = chars.popFirst() {
                    if c == "\\", let next = chars.popFirst() { element.append(next); continue }
                    if c == "\"" { break }
                    element.append(c)
                }
                while let c = chars.first, c != "," { chars.removeFirst() }
            } else {
                while let c = chars.first, c != "," { element.append(c); chars.removeFirst() }
            }
            if chars.first == "," { chars.removeFirst() }
            elements.append(element)
        }
        return elements.compactMap(parseItem)
    }

    /// `grantee=privs/grantor`, the grantee possibly a quoted identifier.
    private static func parseItem(_ element: String) -> ACLItem? {
        var chars = Array(element)[...]
        var grantee = ""
        if chars.first == "\"" {
            chars.removeFirst()
            while let c = chars.popFirst() {
                if c == "\"" {
                    if chars.first == "\"" { grantee.append("\""); chars.removeFirst(); continue }
                    break
                }
                grantee.append(c)
            }
        } else {
            while let c = chars.first, c != "=" { grantee.append(c); chars.removeFirst() }
        }
        guard chars.popFirst() == "=" else { return nil }
        let names: [Character: String] = ["C": "CREATE", "T": "TEMPORARY", "c": "CONNECT"]
        var privileges: [String] = []
        var grantable: [String] = []
        while let c = chars.first, c != "/" {
            chars.removeFirst()
            guard let name = names[c] else { continue }
            if chars.first == "*" {
                chars.removeFirst()
                grantable.append(name)
            } else {
                privileges.append(name)
            }
        }
        return ACLItem(grantee: grantee.isEmpty ? nil : grantee, privileges: privileges, grantable: grantable)
    }
}
