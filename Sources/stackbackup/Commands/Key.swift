import ArgumentParser
import Foundation
import StackBackupKit

struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the passphrases (keys) that open the repository.",
        discussion: ExitStatus.table,
        subcommands: [List.self, Add.self, Remove.self, Passwd.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the repository's keys.", discussion: ExitStatus.table)
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                let keys = try context.openRepository().listKeys()
                if global.json {
                    try context.console.printJSON(keys.map { KeyJSON(id: $0.id, created: $0.created, host: $0.host, user: $0.user, current: $0.isCurrent) })
                } else {
                    let rows = keys.map { [($0.isCurrent ? "*" : " ") + String($0.id.prefix(12)), $0.user, $0.host, $0.created.map(Format.time) ?? "-"] }
                    context.console.output(Format.table([" ID", "User", "Host", "Created"], rows))
                }
                return .ok
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a key with a new passphrase.", discussion: ExitStatus.table)
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("File holding the new passphrase (else asked on the terminal).", valueName: "file"))
        var newPasswordFile: String?

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                let repository = try context.openRepository()
                let id = try KeyJob.add(repository: repository, passphrase: { try newPassphrase(newPasswordFile) })
                context.console.info("added key \(id.prefix(12))")
                if global.json { try context.console.printJSON(["id": id]) }
                return .ok
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a key (not the one in use, not the last).", discussion: ExitStatus.table)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The key's id or a unique prefix of it.") var id: String

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                let repository = try context.openRepository()
                try KeyJob.remove(id, repository: repository)
                context.console.info("removed key \(id)")
                return .ok
            }
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change the passphrase of the key in use (the new key is stored before the old one is removed).", discussion: ExitStatus.table)
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("File holding the new passphrase (else asked on the terminal).", valueName: "file"))
        var newPasswordFile: String?

        func run() throws {
            let context = CommandContext(global)
            try runCommand(context.console) {
                let repository = try context.openRepository()
                try KeyJob.changePassphrase(repository: repository, to: { try newPassphrase(newPasswordFile) })
                context.console.info("passphrase changed")
                return .ok
            }
        }
    }
}

private struct KeyJSON: Encodable {
    let id: String, created: Date?, host: String, user: String, current: Bool
}

private func newPassphrase(_ file: String?) throws -> [UInt8] {
    if let file { return try Passphrase.read(file, from: "--new-password-file") }
    guard let bytes = try TerminalPrompt.passphrase("New passphrase: ", confirm: true) else {
        throw RepositoryError(.invalidArgument, "no new passphrase: give --new-password-file FILE or run on a terminal")
    }
    return bytes
}
