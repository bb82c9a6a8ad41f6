import ArgumentParser
import Foundation
import StackBackupKit

struct Copy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy snapshots to a second repository (e.g. offsite on S3), sending only blobs it lacks.",
        discussion: """
        The source is the usual repository (--repo, STACKBACKUP_REPOSITORY, the config). The target may have
        its own passphrase and keys: blobs are decrypted and stored again under its keys. A target made with
        `init --copy-chunker-from SOURCE` shares blob ids, so trees copy unchanged and dedup spans both.

        Idempotent: a snapshot the target already holds (a copy records its original's id) is skipped, so
        running it again copies nothing. Resumable: an interrupted copy keeps the blobs it stored; the rerun
        skips them and finishes without duplicate snapshots.

        The target's passphrase: --to-password-file, else $STACKBACKUP_TO_PASSWORD_FILE,
        $STACKBACKUP_TO_PASSWORD, the config's offsite.password_file (when --to is omitted), a prompt.
        S3 credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the config's key files.
        \(ExitStatus.table)
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The target repository (a folder or s3:https://host/bucket/prefix). Default: the config's offsite.repository.", valueName: "repo"))
    var to: String?

    @Option(help: ArgumentHelp("File holding the target repository's passphrase.", valueName: "file"))
    var toPasswordFile: String?

    @Option(name: .customLong("source"), help: ArgumentHelp("Only snapshots of this source (repeatable).", valueName: "name"))
    var sources: [String] = []

    @Option(name: .customLong("snapshot"), help: ArgumentHelp("Only this snapshot: an id prefix or SOURCE:latest (repeatable).", valueName: "id"))
    var snapshots: [String] = []

    @Option(help: ArgumentHelp("Threads moving blobs.", valueName: "n"))
    var parallel: Int?

    func validate() throws {
        if let parallel, !(1...64).contains(parallel) { throw ValidationError("--parallel must be between 1 and 64") }
    }

    func run() throws {
        let context = CommandContext(global)
        try runCommand(context.console) {
            let offsite = try context.config()?.offsite
            guard let location = to ?? offsite?.repository else {
                throw RepositoryError(.invalidArgument, "no target repository: give --to REPO, or set `offsite: {repository: …}` in the config")
            }
            let source = try context.openRepository()
            let credentials = to == nil ? try offsite?.s3Credentials() : nil
            let targetBackend = try context.backend(at: location, credentials: credentials)
            let env = context.environment
            let secret = try Passphrase.resolve(
                flagFile: toPasswordFile, configFile: to == nil ? offsite?.passwordFile : nil,
                environment: ["STACKBACKUP_PASSWORD_FILE": env["STACKBACKUP_TO_PASSWORD_FILE"] ?? "",
                              "STACKBACKUP_PASSWORD": env["STACKBACKUP_TO_PASSWORD"] ?? ""],
                prompt: { try TerminalPrompt.passphrase("Passphrase of the target \(location): ") })
            let target = try context.openRepository(backend: targetBackend, passphrase: secret.bytes)
            var request = CopyRequest(sources: sources, snapshots: snapshots)
            if let parallel { request.parallelism = parallel }
            let started = Date()
            let console = context.console
            let outcome = try CopyJob.run(from: source, to: target, request: request) { p in
                console.progress("\(p.snapshotsDone)/\(p.snapshotsTotal) snapshots, copying \(p.current): \(p.blobsCopied) blobs, \(Format.bytes(p.bytesCopied))")
            }
            if global.json {
                try console.printJSON(outcome)
            } else {
                for c in outcome.copied {
                    console.output("\(c.sourceID.short) -> \(c.targetID.short)  \(c.kind.rawValue) \(c.source)")
                }
                let seconds = Date().timeIntervalSince(started)
                console.info("copied \(outcome.copied.count) snapshot(s), \(outcome.alreadyPresent.count) already in \(target.backend.location); "
                    + "\(outcome.blobsCopied) blobs (\(Format.bytes(outcome.bytesCopied))) moved, \(Format.bytes(outcome.bytesAdded)) stored in \(Format.duration(seconds))"
                    + (outcome.sharedBlobIDs ? " (shared chunker: trees copied unchanged)" : ""))
            }
            return .ok
        }
    }
}
