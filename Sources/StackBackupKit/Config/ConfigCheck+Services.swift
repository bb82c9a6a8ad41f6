import Foundation

/// What `config check` reaches beyond the file system. The command supplies
/// the repository opener (it knows where the passphrase comes from).
public struct ConfigCheckServices {
    /// Opens the configured repository without prompting; throws why it cannot.
    public var openRepository: (() throws -> Void)?
    /// Connect to each configured PostgreSQL server and run its pg_dump and pg_restore.
    public var postgres: Bool

    public init(openRepository: (() throws -> Void)? = nil, postgres: Bool = true) {
        self.openRepository = openRepository
        self.postgres = postgres
    }
}

extension ConfigCheck.Run {
    /// The hint for a server that cannot be reached, often one in Docker without a published port.
    static let dockerHint = PGError.dockerHint

    mutating func repositoryOpens(_ open: () throws -> Void) {
        do {
            try open()
        } catch {
            add(.error, config.repository != nil ? "repository" : nil, "the repository does not open: \(error)")
        }
    }

    mutating func passphraseFileMode() {
        guard let path = config.passwordFile, let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value, mode & 0o077 != 0 else { return }
        add(.warning, "password_file",
            "the passphrase file \(path) is readable by group or others (mode \(String(mode & 0o777, radix: 8))); restrict it with `chmod 600 \(path)`")
    }

    /// Without a `postgres:` section nothing is dumped; say so (`databases: []` is written on purpose).
    mutating func noDatabase() {
        guard config.lines["postgres"] == nil else { return }
        add(.warning, nil,
            "no database is configured (the config has no `postgres:` section): `run` backs up no database; add a `postgres:` section with `databases: [...]` to back them up")
    }

    /// Each server answers with the configured credentials, and its pg_dump
    /// and pg_restore are at least as new as it (pg_dump refuses an older one).
    mutating func servers() {
        for server in config.servers {
            let label = config.serverListForm ? "PostgreSQL server '\(server.name)'" : "PostgreSQL"
            let key = config.lines[config.lineKey(server, "host")] != nil ? config.lineKey(server, "host")
                : (config.serverListForm ? "postgres.\(server.name)" : "postgres")
            let connection = server.connectionConfig()
            let serverMajor: Int
            do {
                let session = try PGConnection.connect(connection, retries: 0)
                serverMajor = session.serverVersion / 10_000
                for database in server.databases {
                    do {
                        _ = try PGConnection.connect(server.connectionConfig(database: database), retries: 0)
                    } catch {
                        add(.error, config.lineKey(server, "databases"), "\(label): database '\(database)' does not answer: \(error)")
                    }
                }
            } catch let error as PGError {
                let hint = error.isRetryable || error.message.isEmpty ? "" : "; check the user, password_file and pg_hba.conf"
                add(.error, key, "\(label) does not answer at \(connection.displayName): \(error.message)\(hint)"
                    + (error.isRetryable ? "; \(Self.dockerHint)" : ""))
                continue
            } catch {
                add(.error, key, "\(label) does not answer at \(connection.displayName): \(error)")
                continue
            }
            var dumpMajor: Int?
            for (tool, command) in [("pg_dump", server.pgDump), ("pg_restore", server.pgRestore)] {
                let toolKey = config.lines[config.lineKey(server, tool)] != nil ? config.lineKey(server, tool) : key
                do {
                    let version = try PGTool(name: tool, command: command, connection: connection).version()
                    if tool == "pg_dump" { dumpMajor = version.major }
                    let needed = tool == "pg_restore" ? max(serverMajor, dumpMajor ?? 0) : serverMajor
                    if version.major < needed {
                        add(.error, toolKey, PGToolError.tooOld(tool: tool, version: version.string, needed: needed,
                                                                why: "\(label) runs PostgreSQL \(serverMajor)").description)
                    }
                } catch {
                    add(.error, toolKey, "\(label): \(error)")
                }
            }
        }
    }
}
