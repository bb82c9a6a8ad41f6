import Foundation

/// A snapshot's schema archive (pg_dump custom format), restored by the real
/// pg_restore: it knows every object type of its version, their dependency
/// order and how to run them. stackbackup only chooses sections and options.
///
/// A local pg_restore (the `pg_restore:` command is one program) reads the
/// archive from a private temporary file, which lets it build post-data on
/// several connections (`-j`). A wrapper (`docker exec -i postgres pg_restore`)
/// cannot see our files: it reads the archive on stdin, one connection.
/// The temporary file is removed when this object goes away.
final class RestoreArchive {
    let archive: SchemaArchive
    let tool: PGTool
    /// The archive for a wrapper's stdin; nil when pg_restore reads the file.
    private let stdinBytes: [UInt8]?
    private let folder: URL?
    private let path: String?

    /// Loads the archive's blobs and checks that `pgRestore` can read it;
    /// changes nothing on any server.
    init(_ archive: SchemaArchive, store: BlobLoader, pgRestore: [String], connection: PGConnectionConfig, database: String) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(clamping: archive.bytes))
        for id in archive.chunks {
            do {
                bytes += try store.loadBlob(.data, id: id)
            } catch {
                throw RestoreError(RestoreError.code(for: error), step: "preflight",
                                   message: "the schema archive of \(database) cannot be read (blob \(id.short)): \(error); nothing was changed")
            }
        }
        guard archive.format == "custom", bytes.starts(with: Array("PGDMP".utf8)) else {
            throw RestoreError(.damaged, step: "preflight", message: "the schema of \(database) is not a pg_dump custom-format archive (format \(archive.format)); nothing was changed")
        }
        let tool = PGTool(name: "pg_restore", command: pgRestore, connection: connection)
        let version: (string: String, major: Int)
        do {
            version = try tool.version()
        } catch let error as PGToolError {
            throw RestoreError(.invalidOptions, step: "preflight", message: "\(error); nothing was changed")
        }
        if version.major < archive.pgDumpMajor {
            let error = PGToolError.tooOld(tool: "pg_restore", version: version.string, needed: archive.pgDumpMajor,
                                           why: "the schema of \(database) was written by pg_dump \(archive.pgDumpVersion), whose archives only pg_restore \(archive.pgDumpMajor) or newer reads")
            throw RestoreError(.invalidOptions, step: "preflight", message: "\(error); nothing was changed")
        }
        var folder: URL?
        var path: String?
        if tool.isLocal {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stackbackup-restore-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let file = dir.appendingPathComponent("schema.dump")
            guard FileManager.default.createFile(atPath: file.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
                try? FileManager.default.removeItem(at: dir)
                throw RestoreError(step: "preflight", message: "could not write the schema archive to \(dir.path); check the free space of the temporary folder (TMPDIR)")
            }
            folder = dir
            path = file.path
        }
        self.archive = archive
        self.stdinBytes = path == nil ? bytes : nil
        self.tool = tool
        self.folder = folder
        self.path = path
    }

    deinit {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// Whether post-data can run on several connections (a local archive file).
    var canRunInParallel: Bool { path != nil }

    /// The archive (or one section of it) as the SQL script pg_restore would
    /// run, for the plan, the roles it names and grants applied by hand.
    func script(section: String? = nil) throws -> RestoreScript {
        var arguments = ["--file=-"]
        if let section { arguments.append("--section=\(section)") }
        let output = try runTool(arguments, what: "listing the schema")
        guard output.status == 0, !output.signaled else {
            throw RestoreError(step: "preflight", message: "pg_restore could not read the schema archive: \(RestoreArchive.errorSummary(output.stderr)); nothing was changed")
        }
        return RestoreScript(output.stdout)
    }

    /// Runs one section into `database` with pg_restore, stopping at the first
    /// statement PostgreSQL rejects (a `RestoreError` naming it).
    func restore(section: String, into database: String, jobs: Int, noOwner: Bool, noPrivileges: Bool,
                 settings: [String: String], cancel: PGToolCancel) throws {
        var arguments = ["--section=\(section)", "--exit-on-error", "--no-password",
                         "--dbname=\(PGTool.dbnameArgument(database))"]
        if noOwner { arguments.append("--no-owner") }
        if noPrivileges { arguments.append("--no-privileges") }
        if jobs > 1 && canRunInParallel { arguments.append("--jobs=\(jobs)") }
        var tool = tool
        tool.sessionSettings = settings
        let output = try runTool(arguments, tool: tool, cancel: cancel, what: section)
        if output.signaled { throw PGError(.cancelled, message: "pg_restore was stopped", context: section) }
        guard output.status == 0 else {
            throw RestoreError(step: section, message: RestoreArchive.errorSummary(output.stderr))
        }
    }

    private func runTool(_ arguments: [String], tool: PGTool? = nil, cancel: PGToolCancel? = nil, what: String) throws -> PGTool.Output {
        let tool = tool ?? self.tool
        do {
            if let path { return try tool.run(arguments + [path], cancel: cancel) }
            return try tool.run(arguments, input: .bytes(stdinBytes ?? []), cancel: cancel)
        } catch let error as PGToolError {
            throw RestoreError(.invalidOptions, step: what, message: "\(error)")
        }
    }

    /// pg_restore's stderr as one line: PostgreSQL's error and the statement it
    /// rejected ("syntax error at end of input, in: CREATE RULE rtest_sys_del AS …").
    static func errorSummary(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let index = lines.firstIndex(where: { $0.contains("error: ") }) else {
            return PGToolError.firstLine(stderr)
        }
        var message = String(lines[index][lines[index].range(of: "error: ")!.upperBound...])
        for prefix in ["could not execute query: ", "ERROR:  ", "ERROR: "] where message.hasPrefix(prefix) {
            message.removeFirst(prefix.count)
        }
        if let command = lines[index...].firstIndex(where: { $0.hasPrefix("Command was: ") }) {
            var statement = String(lines[command].dropFirst("Command was: ".count))
            // A statement pg_dump wraps ("ALTER TABLE ONLY x\n    ADD CONSTRAINT …") reads better whole.
            if command + 1 < lines.count, lines[command + 1].hasPrefix("    ") {
                statement += " " + lines[command + 1].trimmingCharacters(in: .whitespaces)
            }
            message += "; PostgreSQL rejected: " + RestoreScript.abbreviate(statement)
        }
        return message
    }
}
