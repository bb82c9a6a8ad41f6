import ArgumentParser
import Foundation
import StackBackupKit

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new repository in an empty or missing folder.",
        discussion: "Asks for the passphrase twice on a terminal, else reads it like every command does.\n\n\(ExitStatus.table)")

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("scrypt cost as a power of two (default 15: N=2^15 with p=4, about 0.3 s and 32 MiB).", valueName: "log2N"))
    var scryptLogN: Int = 15

    @Option(help: ArgumentHelp("Share the chunker and blob ids of this existing repository, so `copy` between the two moves data without re-chunking and dedup works across both.", valueName: "repo"))
    var copyChunkerFrom: String?

    @Option(help: ArgumentHelp("Passphrase file of the --copy-chunker-from repository (else $STACKBACKUP_FROM_PASSWORD_FILE, $STACKBACKUP_FROM_PASSWORD, a prompt).", valueName: "file"))
    var fromPasswordFile: String?

    func validate() throws {
        guard (10...22).contains(scryptLogN) else { throw ValidationError("--scrypt-log-n must be between 10 and 22") }
    }

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let location = try context.repositoryLocation()
            let backend = try context.backend(at: location)
            if let local = backend as? LocalBackend { try refuseFileInPath(local.location) }
            var chunkerSource: Repository?
            if let from = copyChunkerFrom {
                let sourceBackend = try context.backend(at: from)
                let env = context.environment
                let secret = try Passphrase.resolve(
                    flagFile: fromPasswordFile, configFile: nil,
                    environment: ["STACKBACKUP_PASSWORD_FILE": env["STACKBACKUP_FROM_PASSWORD_FILE"] ?? "",
                                  "STACKBACKUP_PASSWORD": env["STACKBACKUP_FROM_PASSWORD"] ?? ""],
                    prompt: { try TerminalPrompt.passphrase("Passphrase of \(from): ") })
                chunkerSource = try context.openRepository(backend: sourceBackend, passphrase: secret.bytes)
            }
            try Repository.prepareEmptyLocation(backend)
            let passphrase = try Passphrase.resolve(
                flagFile: global.passwordFile, configFile: try context.config()?.passwordFile,
                environment: context.environment,
                prompt: { try TerminalPrompt.passphrase("New repository passphrase: ", confirm: true) })
            let kdf = KDFParameters(n: 1 << UInt64(scryptLogN), r: 8, p: scryptLogN >= 15 ? 4 : 1)
            let repository = if let chunkerSource {
                try Repository.initialize(backend: backend, passphrase: passphrase.bytes, kdf: kdf, sharingChunkerWith: chunkerSource)
            } else {
                try Repository.initialize(backend: backend, passphrase: passphrase.bytes, kdf: kdf)
            }
            if global.json {
                try context.console.printJSON(["repository": location, "id": repository.config.id,
                                               "chunker_shared_with": repository.config.chunkerSharedWith ?? ""])
            } else {
                context.console.info("created repository \(repository.config.id.prefix(8)) at \(location)")
                if let chunkerSource {
                    context.console.info("it shares the chunker and blob ids of repository \(chunkerSource.config.id.prefix(8)) at \(chunkerSource.backend.location)")
                }
                context.console.info("keep the passphrase safe: without it the backups cannot be read")
            }
            return .ok
        }
    }
}

/// A repository folder (or a folder above it) that exists as a file is a usage
/// error: say so, rather than "does not exist" from the mkdir that fails.
private func refuseFileInPath(_ path: String) throws {
    var prefixes: [String] = []
    var current = path
    while !current.isEmpty && current != "/" && current != "." {
        prefixes.append(current)
        current = (current as NSString).deletingLastPathComponent
    }
    for prefix in prefixes.reversed() {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: prefix, isDirectory: &isFolder) else { return }
        if !isFolder.boolValue {
            throw RepositoryError(.invalidArgument, "\(prefix) is a file, not a folder; give an empty or new folder for the repository")
        }
    }
}
