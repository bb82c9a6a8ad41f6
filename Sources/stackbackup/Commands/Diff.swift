import ArgumentParser
import Foundation
import StackBackupKit

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what changed between two volume snapshots (+ added, - removed, M modified, T type changed).",
        discussion: ExitStatus.table)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The older snapshot (id prefix or SOURCE:latest).") var first: String
    @Argument(help: "The newer snapshot.") var second: String

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let repository = try context.openRepository()
            let old = try repository.resolveSnapshot(first), new = try repository.resolveSnapshot(second)
            for record in [old, new] where record.snapshot.kind != .volume {
                throw RepositoryError(.invalidArgument, "snapshot \(record.id.short) is a \(record.snapshot.kind.rawValue) snapshot; `diff` compares volume snapshots")
            }
            let changes = try SnapshotTree.diff(store: repository, old: old.snapshot.root, new: new.snapshot.root)
            if global.json {
                try context.console.printJSON(changes.map { ["change": $0.symbol, "path": $0.displayPath] })
            } else {
                for change in changes { context.console.output("\(change.symbol)  \(change.displayPath)") }
                context.console.info("\(changes.count) change(s)")
            }
            return .ok
        }
    }
}

extension TreeChange {
    var symbol: String {
        switch kind {
        case .added: "+"
        case .removed: "-"
        case .modified: "M"
        case .typeChanged: "T"
        }
    }
}
