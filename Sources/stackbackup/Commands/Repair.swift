import ArgumentParser
import Foundation
import StackBackupKit

struct Repair: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild a damaged index from the packs, or write snapshots without what is lost.",
        discussion: """
        Run `repair index` first: `repair snapshots` trusts the index to say what is stored.

        \(ExitStatus.table)
        """,
        subcommands: [Index.self, Snapshots.self])

    struct Index: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the index from the headers of the packs themselves.",
            discussion: """
            Takes the exclusive lock, reads the sealed header of every pack (each lists its blobs), writes \
            new index segments and only then removes the old ones, damaged and missing ones included. Needed \
            when an index segment is damaged or lost: until then its blobs look missing, restores of the \
            snapshots that use them fail and prune refuses to run. A pack whose header cannot be read is \
            damage and is named; when a readable old segment lists it, its blobs stay indexed from there.

            Exit code 13 when packs are damaged or missing (the index is still rebuilt around them; then run \
            `repair snapshots`).

            \(ExitStatus.table)
            """)

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                let repository = try context.openRepository()
                // Until the executable-wide token reaches every command, nothing cancels this one.
                let report = try RepairJob.index(repository: repository, cancellation: repository.cancellation,
                                                 progress: { context.console.progress($0) })
                if global.json { try context.console.printJSON(report) } else { context.console.output(report.summary) }
                return report.unreadablePacks.isEmpty && report.missingPacks.isEmpty ? .ok : .damaged
            }
        }
    }

    struct Snapshots: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write new snapshots without the data that is lost, for every damaged snapshot.",
            discussion: """
            For each volume snapshot whose trees or chunks are missing or damaged, writes a new snapshot tagged \
            `repaired` that names the original (`repaired_from`) and is timed 2 ms after it, so `SOURCE:latest` \
            finds it. As restic does, a folder whose listing is unreadable becomes an empty folder, and a file \
            with missing chunks is KEPT WITH ITS READABLE PARTS: the missing chunks are cut out and its size \
            shrinks, so such a file is shorter than the original and not byte-identical; each one is listed. \
            The original is kept unless --forget. A snapshot whose root tree is unreadable cannot be repaired \
            (--forget removes it).

            Database snapshots are never rewritten: a table missing part of its COPY data would restore with \
            rows silently gone. The report names every table and schema section with missing chunks; restore \
            the intact tables with `restore SOURCE --snapshot ID --table PATTERN`.

            Chunks count as missing when the index does not list them or their pack is gone; --read-data also \
            reads and verifies each one. Run `repair index` first: with damaged or unindexed index data this \
            command stops without writing anything.

            Exit code 3 when some damaged snapshot could not be repaired (see above) or a snapshot document is \
            unreadable.

            \(ExitStatus.table)
            """)

        @OptionGroup var global: GlobalOptions
        @Flag(help: "Say what would be written and forgotten; write nothing (and take no lock).") var dryRun = false
        @Flag(help: "Remove each original once its repaired snapshot is stored (also those an earlier run repaired), and snapshots with nothing recoverable.") var forget = false
        @Flag(help: "Also read and verify every chunk a snapshot uses (reads the whole repository).") var readData = false

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                let repository = try context.openRepository()
                let options = SnapshotRepairOptions(dryRun: dryRun, forget: forget, readData: readData)
                let report = try RepairJob.snapshots(repository: repository, options: options, cancellation: repository.cancellation,
                                                     progress: { context.console.progress($0) })
                if global.json { try context.console.printJSON(report) } else { context.console.output(report.summary) }
                let unsolved = report.unrepaired.contains { !$0.forgotten } || !report.unreadableDocuments.isEmpty
                return unsolved ? .partial : .ok
            }
        }
    }
}
