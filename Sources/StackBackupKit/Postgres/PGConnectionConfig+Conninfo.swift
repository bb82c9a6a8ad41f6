import Foundation

/// A conninfo string that cannot be used; the description says which part and why.
public struct ConninfoError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(description: String) { self.description = description }
}

extension PGConnectionConfig {
    /// The keywords a command-line conninfo may set. `password` is refused:
    /// a password on the command line is visible to every user in `ps`.
    static let conninfoKeywords: Set<String> = ["host", "hostaddr", "port", "user", "dbname", "sslmode", "connect_timeout"]

    /// Applies a libpq keyword/value conninfo (`host=db.lan port=5433 user=drill
    /// sslmode=require`; values may be single-quoted, with `\'` and `\\`)
    /// over this config. The config's own password file is dropped, since it
    /// belongs to another server: libpq's ~/.pgpass, PGPASSFILE or PGPASSWORD apply.
    /// Throws `ConninfoError` naming the first bad keyword or value.
    public func applying(conninfo: String) throws -> PGConnectionConfig {
        var copy = self
        for (key, value) in try Self.conninfoPairs(conninfo) {
            guard Self.conninfoKeywords.contains(key) else {
                let hint = key == "password" ? "never put a password on the command line: use ~/.pgpass, PGPASSFILE or PGPASSWORD"
                    : "known keywords: \(Self.conninfoKeywords.sorted().joined(separator: ", "))"
                throw ConninfoError(description: "conninfo keyword '\(key)' is not accepted here; \(hint)")
            }
            switch key {
            case "host", "hostaddr": copy.host = value
            case "port":
                guard let port = Int(value), (1...65535).contains(port) else {
                    throw ConninfoError(description: "port '\(value)' is not a number from 1 to 65535")
                }
                copy.port = port
            case "user": copy.user = value
            case "dbname": copy.database = value
            case "sslmode": copy.sslMode = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds >= 0 else {
                    throw ConninfoError(description: "connect_timeout '\(value)' is not a number of seconds")
                }
                copy.connectTimeout = seconds
            default: break
            }
        }
        copy.passwordFile = nil
        return copy
    }

    /// A conninfo (`key=value …`, see `applying(conninfo:)`) or the short form
    /// `host[:port][/user]`, or `/socket/folder[:port]` (a host starting with `/`
    /// is a socket folder for libpq, e.g. one bind-mounted from a container),
    /// over this config; the config's password file is dropped.
    public func applying(server text: String) throws -> PGConnectionConfig {
        if text.contains("=") { return try applying(conninfo: text) }
        if text.hasPrefix("/") { return try applying(socketFolder: text) }
        let slash = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let address = String(slash[0])
        var copy = self
        copy.host = address
        if let colon = address.lastIndex(of: ":"), !address.hasPrefix("/") {
            copy.host = String(address[..<colon])
            guard let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
                throw ConninfoError(description: "the port in '\(text)' is not a number from 1 to 65535")
            }
            copy.port = port
        }
        guard let host = copy.host, !host.isEmpty, !host.contains(" ") else {
            throw ConninfoError(description: "give a conninfo such as 'host=db2 port=5433' or host[:port][/user], e.g. localhost:5433/postgres; got '\(text)'")
        }
        if slash.count > 1, !slash[1].isEmpty { copy.user = String(slash[1]) }
        copy.passwordFile = nil
        return copy
    }

    /// `/socket/folder[:port]`: the folder is passed to libpq as the host.
    private func applying(socketFolder text: String) throws -> PGConnectionConfig {
        var copy = self
        var folder = Substring(text)
        if let colon = text.lastIndex(of: ":"), !text[colon...].contains("/") {
            folder = text[..<colon]
            guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
                throw ConninfoError(description: "the port in '\(text)' is not a number from 1 to 65535")
            }
            copy.port = port
        }
        while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
        guard folder.count > 1, !folder.contains(" ") else {
            throw ConninfoError(description: "give a socket folder such as /srv/postgres/run or /srv/postgres/run:5433; got '\(text)'")
        }
        copy.host = String(folder)
        copy.passwordFile = nil
        return copy
    }

    /// `key=value` pairs in order; whitespace around `=` is allowed, as libpq allows it.
    static func conninfoPairs(_ text: String) throws -> [(String, String)] {
        var pairs: [(String, String)] = []
        var chars = Array(text)[...]
        func skipSpaces() { while let c = chars.first, c.isWhitespace { chars.removeFirst() } }
        func fail(_ why: String) -> ConninfoError { ConninfoError(description: why) }
        while true {
            skipSpaces()
            guard !chars.isEmpty else { break }
            var key = ""
            while let c = chars.first, c != "=", !c.isWhitespace { key.append(c); chars.removeFirst() }
            skipSpaces()
            guard chars.first == "=" else { throw fail("missing '=' after '\(key)' (expected keyword=value)") }
            chars.removeFirst()
            skipSpaces()
            var value = ""
            if chars.first == "'" {
                chars.removeFirst()
                var closed = false
                while let c = chars.popFirst() {
                    if c == "\\", let next = chars.popFirst() { value.append(next); continue }
                    if c == "'" { closed = true; break }
                    value.append(c)
                }
                guard closed else { throw fail("unterminated quoted value for '\(key)'") }
            } else {
                while let c = chars.first, !c.isWhitespace {
                    chars.removeFirst()
                    if c == "\\", let next = chars.popFirst() { value.append(next) } else { value.append(c) }
                }
            }
            guard !key.isEmpty else { throw fail("a value without a keyword") }
            pairs.append((key, value))
        }
        guard !pairs.isEmpty else { throw fail("the conninfo is empty") }
        return pairs
    }
}
