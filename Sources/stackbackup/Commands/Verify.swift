import ArgumentParser
import Foundation
import StackBackupKit

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the repository's integrity and name what is damaged.",
        discussion: """
        Without options: structure (every snapshot, tree and index entry is consistent).
        --read-data reads and decrypts every pack; --read-data-subset reads a share of them.
        --files-only checks every file against the SHA-256 in its name and needs no passphrase
        (suitable for CI on a repository copy). Exit code 13 when anything is damaged.

        \(ExitStatus.table)
        """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Read, decrypt and check every blob of every pack.") var readData = false
    @Option(help: ArgumentHelp("Read only a share of the packs: N%, K/M (slice K of M), or auto (a different seventh each day; seven days cover everything).", valueName: "subset"))
    var readDataSubset: String?
    @Flag(help: "Only compare file names with the SHA-256 of their contents (no passphrase needed).") var filesOnly = false

    func validate() throws {
        if readData && readDataSubset != nil { throw ValidationError("give either --read-data or --read-data-subset, not both") }
        if let subset = readDataSubset, Self.selection(subset) == nil {
            throw ValidationError("--read-data-subset must be N% (e.g. 10%), K/M (e.g. 2/7) or auto, got '\(subset)'")
        }
    }

    static func selection(_ text: String) -> ReadDataSelection? {
        if text == "auto" { return .auto(day: AutoSlice.day(of: Date())) }
        if text.hasSuffix("%"), let percent = Double(text.dropLast()), percent > 0, percent <= 100 {
            return .fraction(percent / 100)
        }
        let parts = text.split(separator: "/")
        if parts.count == 2, let k = Int(parts[0]), let m = Int(parts[1]), m > 0, (1...m).contains(k) {
            return .slice(index: k - 1, of: m)
        }
        return nil
    }

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let console = context.console
            let report: DamageReport
            if filesOnly {
                report = try Checker.checkFileNames(backend: try context.backend())
            } else {
                let repository = try context.openRepository()
                let lock = try repository.lock(exclusive: false, command: "verify")
                defer { try? lock.release() }
                let selection: ReadDataSelection = readData ? .all : readDataSubset.flatMap(Self.selection) ?? ReadDataSelection.none
                report = try Checker().check(repository: repository, readData: selection, progress: { console.progress($0) })
            }
            if global.json {
                try console.printJSON(report)
            } else {
                for line in report.summary { console.output(line) }
                let scope = filesOnly ? "\(report.filesChecked) files checked against their names"
                    : "\(report.snapshotsChecked) snapshots, \(report.treesChecked) trees, \(report.packsChecked) packs checked, \(report.packsRead) packs read (\(Format.bytes(report.bytesRead)))"
                console.output(report.isClean ? "no damage found: \(scope)" : "DAMAGE FOUND (see above): \(scope)")
            }
            return report.isClean ? .ok : .damaged
        }
    }
}
