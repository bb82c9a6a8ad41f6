import ArgumentParser
import Foundation
import StackBackupKit

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new repository in an empty or missing folder.",
        discussion: "Asks for the passphrase twice on a terminal, else reads it like every command does.\n\n\(ExitStatus.table)")

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("scrypt cost as a power of two (default 17: N=2^17, about 0.3 s and 128 MiB).", valueName: "log2N"))
    var scryptLogN: Int = 17

    func validate() throws {
        guard (10...22).contains(scryptLogN) else { throw ValidationError("--scrypt-log-n must be between 10 and 22") }
    }

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let location = try context.repositoryLocation()
            let backend = LocalBackend(path: location)
            let passphrase = try Passphrase.resolve(
                flagFile: global.passwordFile, configFile: try context.config()?.passwordFile,
                environment: context.environment,
                prompt: { try TerminalPrompt.passphrase("New repository passphrase: ", confirm: true) })
            let kdf = KDFParameters(n: 1 << UInt64(scryptLogN), r: 8, p: 1)
            let repository = try Repository.initialize(backend: backend, passphrase: passphrase.bytes, kdf: kdf)
            if global.json {
                try context.console.printJSON(["repository": location, "id": repository.config.id])
            } else {
                context.console.info("created repository \(repository.config.id.prefix(8)) at \(location)")
                context.console.info("keep the passphrase safe: without it the backups cannot be read")
            }
            return .ok
        }
    }
}
