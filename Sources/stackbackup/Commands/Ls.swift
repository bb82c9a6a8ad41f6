import ArgumentParser
import Foundation
import StackBackupKit

struct Ls: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the files of a volume snapshot.",
        discussion: "SNAPSHOT is an id prefix or SOURCE:latest (e.g. immich-library:latest).\n\n\(ExitStatus.table)")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Snapshot id prefix or SOURCE:latest.") var snapshot: String
    @Argument(help: "Only this folder or file inside the snapshot.") var path: String?
    @Flag(name: .shortAndLong, help: "Long listing: type, mode, size, time.") var long = false

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let repository = try context.openRepository()
            let record = try repository.resolveSnapshot(snapshot)
            guard record.snapshot.kind == .volume else {
                throw RepositoryError(.invalidArgument, "snapshot \(record.id.short) is a \(record.snapshot.kind.rawValue) snapshot; `ls` lists volume snapshots")
            }
            let entries = try SnapshotTree.list(store: repository, tree: record.snapshot.root, path: path)
            if global.json {
                try context.console.printJSON(entries.map(ListedJSON.init))
            } else {
                for entry in entries {
                    if long {
                        let node = entry.node
                        context.console.output("\(node.type.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(String(node.mode & 0o7777, radix: 8).leftPad(4)) \(String(node.size).leftPad(12)) \(Format.time(Date(timeIntervalSince1970: Double(node.mtimeNs) / 1e9))) \(entry.displayPath)")
                    } else {
                        context.console.output(entry.displayPath)
                    }
                }
            }
            return .ok
        }
    }
}

private struct ListedJSON: Encodable {
    let path: String, type: String, mode: UInt32, size: Int64, mtime: Date, uid: UInt32, gid: UInt32, link: String?
    init(_ e: ListedEntry) {
        path = e.displayPath; type = e.node.type.rawValue; mode = e.node.mode; size = e.node.size
        mtime = Date(timeIntervalSince1970: Double(e.node.mtimeNs) / 1e9); uid = e.node.uid; gid = e.node.gid
        link = e.node.linkTarget.map { String(decoding: $0, as: UTF8.self) }
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
