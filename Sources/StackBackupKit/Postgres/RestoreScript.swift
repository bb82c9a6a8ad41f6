import Foundation

/// A pg_dump SQL section (pre-data or post-data) split into top-level
/// statements, for the restorer to run one by one, filter (`--no-owner`) and
/// run partly in parallel (index builds).
///
/// The split is psql's own (`SQLStatementSplitter`, after PostgreSQL 15's
/// psqlscan.l): `;` ends a statement only outside quotes, comments and
/// parentheses and outside `BEGIN ATOMIC … END` bodies; psql meta lines
/// (`\restrict KEY`, `\connect …`) and comments between statements are dropped. Works on
/// bytes; never fails on garbage (an unterminated quote just ends the last
/// statement).
struct RestoreScript {
    struct Statement: Equatable {
        /// The statement's text as psql would send it: without its trailing
        /// `;`, the whitespace and `--` comments before it and trailing whitespace.
        var text: String
        var kind: Kind
    }

    enum Kind: Equatable {
        /// `SET …` or `SELECT pg_catalog.set_config(…)`: session state that
        /// every connection running later statements needs.
        case session(name: String)
        /// `ALTER … OWNER TO role`.
        case owner(role: String)
        /// `GRANT`/`REVOKE`/`ALTER DEFAULT PRIVILEGES`, with the roles named after TO/FROM.
        case privilege(roles: [String])
        /// `CREATE [UNIQUE] INDEX … ON [ONLY] table`, or `ALTER TABLE table ADD CONSTRAINT … PRIMARY KEY|UNIQUE|EXCLUDE`:
        /// independent of each other, built in parallel, grouped by table.
        case indexBuild(table: String)
        case other
    }

    var statements: [Statement]

    init(_ bytes: [UInt8]) {
        statements = RestoreScript.split(bytes).map { Statement(text: $0, kind: RestoreScript.classify($0)) }
    }

    init(_ text: String) { self.init(Array(text.utf8)) }

    /// Every role the script needs to exist: owners and grantees.
    var referencedRoles: [(role: String, usage: String)] {
        var out: [(String, String)] = []
        for statement in statements {
            switch statement.kind {
            case .owner(let role):
                out.append((role, "owner of \(RestoreScript.objectDescription(statement.text))"))
            case .privilege(let roles):
                for role in roles { out.append((role, "grantee in \(RestoreScript.abbreviate(statement.text))")) }
            default:
                break
            }
        }
        return out
    }

    // MARK: - Splitting

    /// The statements psql would send for `s` (see `SQLStatementSplitter`).
    private static func split(_ s: [UInt8]) -> [String] {
        SQLStatementSplitter.statements(in: s)
    }

    // MARK: - Classifying

    static func classify(_ text: String) -> Kind {
        var tokens = SQLTokens(text)
        let first = tokens.nextWord()
        switch first {
        case "SET":
            var name = tokens.nextWord() ?? ""
            if name == "SESSION" || name == "LOCAL" { name = tokens.nextWord() ?? "" }
            return .session(name: name.lowercased())
        case "SELECT":
            if text.hasPrefix("SELECT pg_catalog.set_config(") {
                let inner = text.dropFirst("SELECT pg_catalog.set_config(".count)
                if let quoted = inner.split(separator: ",").first {
                    return .session(name: quoted.trimmingCharacters(in: CharacterSet(charactersIn: "' ")))
                }
            }
            return .other
        case "ALTER":
            if let role = ownerRole(text) { return .owner(role: role) }
            if text.hasPrefix("ALTER DEFAULT PRIVILEGES") { return .privilege(roles: privilegeRoles(text)) }
            let what = tokens.nextWord()
            if what == "TABLE" {
                var name = tokens.nextName()
                if name == "ONLY" { name = tokens.nextName() }
                if let table = name, tokens.nextWord() == "ADD", tokens.nextWord() == "CONSTRAINT" {
                    _ = tokens.nextName()
                    let type = tokens.nextWord()
                    if type == "PRIMARY" || type == "UNIQUE" || type == "EXCLUDE" { return .indexBuild(table: table) }
                }
            }
            return .other
        case "CREATE":
            var word = tokens.nextWord()
            if word == "UNIQUE" { word = tokens.nextWord() }
            guard word == "INDEX" else { return .other }
            // CREATE [UNIQUE] INDEX [name] ON [ONLY] table
            var name = tokens.nextName()
            if name?.uppercased() != "ON" { name = tokens.nextName() }
            guard name?.uppercased() == "ON" else { return .other }
            var table = tokens.nextName()
            if table == "ONLY" { table = tokens.nextName() }
            return table.map { .indexBuild(table: $0) } ?? .other
        case "GRANT", "REVOKE":
            return .privilege(roles: privilegeRoles(text))
        default:
            return .other
        }
    }

    /// The role in `ALTER … OWNER TO role` (the statement's last clause).
    private static func ownerRole(_ text: String) -> String? {
        guard let range = text.range(of: " OWNER TO ", options: .backwards) else { return nil }
        var tokens = SQLTokens(String(text[range.upperBound...]))
        guard let role = tokens.nextName(), tokens.atEnd else { return nil }
        return unquoteIdentifier(role)
    }

    /// Roles after the last ` TO ` (GRANT) or ` FROM ` (REVOKE): `a, "B", PUBLIC`.
    private static func privilegeRoles(_ text: String) -> [String] {
        let isRevoke = text.hasPrefix("REVOKE") || text.contains(" REVOKE ")
        let keyword = isRevoke ? " FROM " : " TO "
        guard let range = text.range(of: keyword, options: .backwards) else { return [] }
        var tokens = SQLTokens(String(text[range.upperBound...]))
        var roles: [String] = []
        while let token = tokens.nextName() {
            if token == "," { continue }
            if token.uppercased() == "WITH" || token.uppercased() == "GRANTED" || token.uppercased() == "CASCADE" { break }
            if token.uppercased() == "GROUP" { continue }
            if token.uppercased() != "PUBLIC" { roles.append(unquoteIdentifier(token)) }
        }
        return roles
    }

    /// "TABLE public.x" from `ALTER TABLE public.x OWNER TO y`.
    static func objectDescription(_ text: String) -> String {
        var body = text
        if body.hasPrefix("ALTER ") { body.removeFirst(6) }
        if let range = body.range(of: " OWNER TO ", options: .backwards) { body = String(body[..<range.lowerBound]) }
        return abbreviate(body.lowercased().hasPrefix("table ") ? String(body.dropFirst(6)) : body)
    }

    /// The first line of a statement, at most 80 characters, for messages.
    static func abbreviate(_ text: String) -> String {
        let line = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text
        return line.count > 80 ? String(line.prefix(77)) + "…" : line
    }
}

/// A minimal reader of SQL words and (possibly quoted, possibly qualified)
/// names, enough to classify pg_dump's statements.
struct SQLTokens {
    private let s: [Character]
    private var i = 0

    init(_ text: String) { s = Array(text) }

    var atEnd: Bool {
        var j = i
        while j < s.count && s[j].isWhitespace { j += 1 }
        return j >= s.count
    }

    /// The next bare word, upper-cased, or nil.
    mutating func nextWord() -> String? {
        skipSpace()
        let start = i
        while i < s.count && (s[i].isLetter || s[i].isNumber || s[i] == "_") { i += 1 }
        return i > start ? String(s[start..<i]).uppercased() : nil
    }

    /// The next name, parts joined with "." and quotes kept (`public."Mixed"`),
    /// or a single punctuation character.
    mutating func nextName() -> String? {
        skipSpace()
        guard i < s.count else { return nil }
        var out = ""
        repeat {
            if i < s.count && s[i] == "." { out.append("."); i += 1 }
            guard i < s.count else { break }
            if s[i] == "\"" {
                out.append("\"")
                i += 1
                while i < s.count {
                    if s[i] == "\"" {
                        if i + 1 < s.count && s[i + 1] == "\"" { out.append("\"\""); i += 2; continue }
                        break
                    }
                    out.append(s[i])
                    i += 1
                }
                out.append("\"")
                i += 1
            } else if s[i].isLetter || s[i] == "_" || s[i].isNumber {
                while i < s.count && (s[i].isLetter || s[i].isNumber || s[i] == "_" || s[i] == "$") { out.append(s[i]); i += 1 }
            } else {
                if out.isEmpty { out.append(s[i]); i += 1 }
                break
            }
        } while i < s.count && s[i] == "."
        return out.isEmpty ? nil : out
    }

    private mutating func skipSpace() {
        while i < s.count && s[i].isWhitespace { i += 1 }
    }
}

extension RestoreScript {
    /// A role name as written in SQL (`"Mixed Case"` or `plain`) turned into the
    /// role's actual name.
    static func unquoteIdentifier(_ text: String) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return text.lowercased() }
        return String(text.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
    }
}
