import ArgumentParser
import Foundation
import StackBackupKit

struct Unlock: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove stale locks (left by a crashed run), or all locks with --all.",
        discussion: "A lock is stale when its process is gone on this host or it was not refreshed for 30 minutes.\n\n\(ExitStatus.table)")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Remove stale locks (the default; kept for scripts that say it explicitly).")
    var removeStale = false
    @Flag(help: "Also remove locks that look alive (only when you know no other stackbackup runs).")
    var all = false

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let repository = try context.openRepository()
            for lock in try repository.listLocks() where !global.json {
                context.console.detail("lock \(lock.holder)\(lock.isStale(now: Date()) ? " (stale)" : "")")
            }
            let removed = try repository.removeLocks(staleOnly: !all)
            if global.json { try context.console.printJSON(["removed": removed]) }
            else { context.console.info(removed == 0 ? "no locks to remove" : "removed \(removed) lock(s)") }
            return .ok
        }
    }
}
