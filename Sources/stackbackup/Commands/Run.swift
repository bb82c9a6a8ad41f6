import ArgumentParser
import Foundation
import StackBackupKit

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The nightly job: globals and every database, every volume, forget, prune when due, a verify slice.",
        discussion: """
        Reads everything from the config. Databases are dumped before the media volumes, so a restored
        photo library is never newer than its database. One failing source does not stop the others.
        Writes the status file (`status_file:`) and a Prometheus textfile (`metrics_file:`), and pings
        `hooks.healthcheck_url` at start, success and failure (a failing ping never fails the run).
        Under systemd the output is plain lines for the journal.

        Sources the config no longer names are dropped from the status file and the metrics (their \
        snapshots stay in the repository). Stopped by SIGTERM (`systemctl stop`, a timeout) or SIGINT, the \
        run abandons the work under way, records `interrupted` (what stopped it, what was not done) in the \
        status file and metrics, pings `/fail` with that reason, removes its locks and exits 143 (130).

        Exit code 0 when everything succeeded, 3 when some sources or steps failed or a volume snapshot
        was saved without entries it could not read (named in the output and the status file), 1 when all
        failed, 143 stopped by SIGTERM, 130 by SIGINT.
        \(ExitStatus.table)
        """)

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let config = try context.requireConfig(for: "`run`")
            // --lock-wait (default 60 s here) covers a run already in progress and
            // every repository lock the run takes (a prune or forget started by hand).
            let lockWait = max(0, global.lockWait ?? 60)
            let runLock = try RunLock.acquire(statusFile: config.statusFile, wait: lockWait)
            defer { runLock.release() }
            let repository = try context.openRepository()
            repository.lockWait = lockWait
            let console = context.console
            let nightly = NightlyRun(config: config, repository: repository) { event in
                switch event {
                case .info(let line): console.info(line)
                case .warning(let line): console.warning(line)
                case .failure(let line): console.error(line)
                case .progress(let line): console.progress(line)
                }
            }
            NightlySteps.install(on: nightly, config: config)
            let result = nightly.run()
            if global.json { try console.printJSON(result.status) }
            console.info(result.summary)
            return ExitStatus(rawValue: result.exitCode) ?? .failure
        }
    }
}
