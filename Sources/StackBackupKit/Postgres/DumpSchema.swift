import Foundation

/// Runs pg_dump for the schema of a dump, as one custom-format archive.
///
/// `pg_dump --format=custom --section=pre-data --section=post-data` inside the
/// dump's exported snapshot: every object pg_dump knows, in its own dependency
/// order, for pg_restore to bring back. Sections rather than `--schema-only`,
/// because `--schema-only` also leaves out what is not table data but lives in
/// the data section's neighbourhood: large objects' metadata (owner, grants,
/// comments: the `BLOB` entries are pre-data) and the `MATERIALIZED VIEW DATA`
/// entries that refresh exactly the views that were populated (post-data).
/// Table data, sequence values and large-object contents (the data section)
/// are not in the archive: the dumper copies those itself. Uncompressed
/// (`--compress=0`), so the repository's chunking deduplicates it night to night.
struct DumpSchema {
    let command: [String]
    let connection: PGConnectionConfig
    let lockTimeout: TimeInterval

    /// The archive's header (version, creation time, database name, versions:
    /// about 250 bytes) lies within this many first bytes, which the dumper
    /// stores as a chunk of their own.
    static let archiveHeadBytes = 4096

    private var tool: PGTool { PGTool(name: "pg_dump", command: command, connection: connection) }

    /// The version pg_dump reports: "15.18" and its major number.
    func version() throws -> (string: String, major: Int) {
        do {
            return try tool.version()
        } catch let error as PGToolError {
            throw DumpSchema.dumpError(error, section: "version")
        }
    }

    /// Fails with `DumpError.pgDumpTooOld` unless pg_dump's major version is at
    /// least the server's; returns pg_dump's version string.
    @discardableResult
    func checkVersion(serverVersion: Int, serverVersionString: String) throws -> String {
        let (string, major) = try version()
        if major < serverVersion / 10000 {
            throw DumpError.pgDumpTooOld(pgDumpVersion: string, serverVersion: serverVersionString)
        }
        return string
    }

    /// The schema archive of `database`, taken in `snapshot`.
    func archive(database: String, snapshot: String) throws -> [UInt8] {
        let lockMillis = max(1, Int((lockTimeout * 1000).rounded()))
        let output: PGTool.Output
        do {
            output = try tool.run(["--snapshot=\(snapshot)", "--format=custom", "--compress=0",
                                   "--section=pre-data", "--section=post-data",
                                   "--no-password", "--lock-wait-timeout=\(lockMillis)",
                                   "--dbname=\(PGTool.dbnameArgument(database))"])
        } catch let error as PGToolError {
            throw DumpSchema.dumpError(error, section: "schema")
        }
        guard output.status == 0, !output.signaled else {
            if output.status == 127 {
                throw DumpError.pgDumpNotFound(command: command.joined(separator: " "), reason: PGToolError.firstLine(output.stderr))
            }
            throw DumpError.pgDumpFailed(section: "schema", message: PGToolError.firstLine(output.stderr))
        }
        guard output.stdout.starts(with: Array("PGDMP".utf8)) else {
            throw DumpError.pgDumpFailed(section: "schema", message: "its output is not a custom-format archive (no PGDMP header)")
        }
        return output.stdout
    }

    static func dumpError(_ error: PGToolError, section: String) -> DumpError {
        switch error {
        case let .notFound(_, command, reason): .pgDumpNotFound(command: command, reason: reason)
        case let .failed(_, _, message): .pgDumpFailed(section: section, message: message)
        case let .tooOld(_, version, _, why): .pgDumpFailed(section: section, message: "pg_dump \(version): \(why)")
        }
    }

    /// Drops the psql meta-commands pg_dump ≥ 15.14 (and pg_restore writing a
    /// script) wrap plain output in: `\restrict KEY` (its first command) and the
    /// matching `\unrestrict KEY`. They are not SQL, and the key is random per
    /// run. Only these exact lines go: another line starting with a backslash
    /// may be part of a function body or a string literal.
    static func stripMetaCommands(_ text: [UInt8]) -> [UInt8] {
        let restrict = Array("\\restrict ".utf8)
        var unrestrict: [UInt8]?
        var out = [UInt8]()
        out.reserveCapacity(text.count)
        var start = 0
        while start < text.count {
            let end = text[start...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? text.count
            let line = text[start..<end]
            var body = line
            while let last = body.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { body = body.dropLast() }
            if unrestrict == nil, body.starts(with: restrict) {
                unrestrict = Array("\\unrestrict ".utf8) + body.dropFirst(restrict.count)
            } else if let unrestrict, body.elementsEqual(unrestrict) {
                // The end of the restricted section.
            } else {
                out.append(contentsOf: line)
            }
            start = end
        }
        return out
    }
}
