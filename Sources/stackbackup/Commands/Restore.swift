import ArgumentParser
import Foundation
import StackBackupKit

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a database, or a volume snapshot into a folder.",
        discussion: """
        WHAT is a database name (its latest snapshot, or --snapshot), a snapshot id prefix, or SOURCE:latest.

        Databases: restored into a new scratch database first; only after everything succeeded is it
        renamed to the target (the original name, or --into NAME). An existing database holding data is
        never touched unless --replace, which keeps the old one as NAME_before_<yyyyMMddHHmmss> unless --drop-old.
        The schema is restored by pg_restore (the config's `pg_restore:`, default pg_restore on PATH), which must
        be at least as new as the pg_dump that took the snapshot.
          stackbackup restore umami
          stackbackup restore umami --into umami_check
          stackbackup restore immich --replace --jobs 4
        With several servers under `postgres:`, the restore goes to the server the config lists the
        database's source under (else the one the snapshot was taken from); --server NAME chooses it,
        and says which database is meant where a name is on several servers.
          stackbackup restore app --server immich

        Volumes: --target DIR (empty or missing unless --overwrite); content is checked against its ids
        while written; a damaged file is reported and removed, the others restored (exit code 3).
          stackbackup restore immich-library:latest --target /tmp/restore --include 'admin/2026/**'

        \(ExitStatus.table)
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Database name, snapshot id prefix, or SOURCE:latest.") var what: String
    @Option(help: ArgumentHelp("Snapshot to restore (id prefix or SOURCE:latest); default the latest of WHAT.", valueName: "id"))
    var snapshot: String?

    @Option(help: ArgumentHelp("Volumes: folder to restore into.", valueName: "dir")) var target: String?
    @Option(name: .customLong("include"), help: ArgumentHelp("Volumes: only paths matching this glob (repeatable).", valueName: "glob"))
    var includes: [String] = []
    @Flag(help: "Volumes: restore into a non-empty folder, replacing files of the same name.") var overwrite = false

    @Option(help: ArgumentHelp("Databases: restore under this name instead of the original.", valueName: "name")) var into: String?
    @Flag(help: "Databases: replace an existing database that holds data (after a complete restore).") var replace = false
    @Flag(help: "Databases: with --replace, drop the old database instead of keeping it renamed.") var dropOld = false
    @Option(help: ArgumentHelp("Databases: the configured server (its `name:` under `postgres:`) to restore on, and to look the name up on.", valueName: "name"))
    var server: String?
    @Option(help: "Databases: parallel COPY and index workers (default: the server's jobs, else 2).") var jobs: Int?
    @Flag(help: "Databases: recreate missing roles from the latest globals snapshot of the snapshot's server first.") var withRoles = false
    @Flag(help: "Databases: do not restore ownership; objects belong to the connecting user.") var noOwner = false
    @Option(name: .customLong("table"), help: ArgumentHelp("Databases: restore data only for tables matching this pattern (schema.table, * allowed; repeatable).", valueName: "pattern"))
    var tables: [String] = []
    @Flag(help: "Show what would be done, change nothing.") var dryRun = false

    func validate() throws {
        if dropOld && !replace { throw ValidationError("--drop-old only makes sense with --replace") }
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs must be between 1 and 64") }
    }

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let config = try context.stackConfig()
            // A database name means its configured source (ambiguous on several servers without --server).
            let source = try config.snapshotSource(for: what, server: server)
            let repository = try context.openRepository()
            // With --snapshot, WHAT names the source: a snapshot of another database is refused.
            let record = try snapshot.map { try repository.resolveSnapshot($0, source: source) } ?? repository.resolveSnapshotOrSource(source)
            if server != nil && record.snapshot.kind != .postgres {
                throw RepositoryError(.invalidArgument, "--server goes with database snapshots; \(record.id.short) is a \(record.snapshot.kind.rawValue) snapshot")
            }
            switch record.snapshot.kind {
            case .volume:
                guard let target else {
                    throw RepositoryError(.invalidArgument, "snapshot \(record.id.short) is a volume snapshot: give --target DIR to restore it into")
                }
                return try restoreVolume(record, target: target, repository: repository, context: context)
            case .postgres:
                let (settings, note) = try config.restoreServer(for: record.snapshot, server: server)
                if let note { context.console.info(note) }
                return try DatabaseRestoreCommand(options: self, context: context).run(record, server: settings, repository: repository)
            case .globals:
                throw RepositoryError(.invalidArgument, "snapshot \(record.id.short) holds roles (globals); they are restored with `restore DB --with-roles`")
            }
        }
    }

    private func restoreVolume(_ record: SnapshotRecord, target: String, repository: Repository, context: CommandContext) throws -> ExitStatus {
        let lock = try repository.lock(exclusive: false, command: "restore")
        defer { try? lock.release() }
        let started = Date()
        let console = context.console
        let restorer = VolumeRestorer(
            store: repository, tree: record.snapshot.root,
            // Enough readers to hide an object store's round trips; one per core for a disk.
            options: VolumeRestoreOptions(target: target, includes: includes, overwrite: overwrite,
                                          parallelism: max(ProcessInfo.processInfo.activeProcessorCount, repository.backend.preferredConcurrency),
                                          cancellation: repository.cancellation),
            progress: { p in console.progress("restoring: \(p.filesDone) files, \(Format.bytes(p.bytesDone))") })
        let result = try restorer.run()
        let seconds = Date().timeIntervalSince(started)
        for failure in result.errors { console.error("\(failure.path): \(failure.message)") }
        if global.json {
            try console.printJSON(RestoreJSON(snapshot: record.id.hex, target: target, files: result.files, bytes: result.bytes,
                                              errors: result.errors.map { ["path": $0.path, "error": $0.message] }, seconds: seconds))
        } else {
            console.info("restored \(result.files) files, \(Format.bytes(result.bytes)) from \(record.id.short) into \(target) in \(Format.duration(seconds))" +
                         (result.errors.isEmpty ? "" : "; \(result.errors.count) file(s) FAILED"))
        }
        return result.errors.isEmpty ? .ok : .partial
    }
}

private struct RestoreJSON: Encodable {
    let snapshot: String, target: String, files: Int, bytes: Int64, errors: [[String: String]], seconds: Double
}
