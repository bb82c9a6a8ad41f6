import ArgumentParser
import Foundation
import StackBackupKit

struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Free the space of forgotten snapshots: delete unused packs, repack mostly-unused ones.",
        discussion: """
        Takes the exclusive lock. Order: mark every blob a snapshot needs, write repacked packs and the
        new index, and only then delete superseded index segments and packs — a crash at any point loses
        nothing a kept snapshot needs. It also removes what crashes left: lock files of dead processes on
        this host and temp files older than a day.

        \(ExitStatus.table)
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Repack packs whose unused share exceeds this (e.g. 5%, 20%; 0% repacks every pack with unused data).", valueName: "percent"))
    var maxUnused: String = "5%"
    @Flag(help: "Report what would be deleted and repacked, change nothing.") var dryRun = false

    var maxUnusedFraction: Double? {
        let text = maxUnused.hasSuffix("%") ? String(maxUnused.dropLast()) : maxUnused
        guard let value = Double(text), value >= 0, value <= 100 else { return nil }
        return value / 100
    }

    func validate() throws {
        if maxUnusedFraction == nil { throw ValidationError("--max-unused must be a percentage between 0% and 100%, got '\(maxUnused)'") }
    }

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let repository = try context.openRepository()
            let options = PruneOptions(maxUnused: maxUnusedFraction ?? 0.05, dryRun: dryRun)
            let report = try PruneJob.run(repository: repository, options: options, progress: { context.console.progress($0) })
            if global.json { try context.console.printJSON(report) } else { context.console.output(report.summary) }
            return .ok
        }
    }
}
