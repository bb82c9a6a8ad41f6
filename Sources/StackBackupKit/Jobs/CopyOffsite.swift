import Foundation

/// The `offsite:` step of the nightly run: opens the offsite repository,
/// copies this night's snapshots (and any local snapshot newer than the
/// newest offsite copy, so a missed night catches up), then forgets by the
/// offsite retention policy when one is given.
public enum CopyOffsite {
    public static func run(settings: OffsiteSettings, from repository: Repository, snapshots: [ObjectID],
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           now: Date = Date(), report: @escaping (RunEvent) -> Void = { _ in }) throws -> String {
        let target = try open(settings, environment: environment)
        target.lockWait = repository.lockWait
        target.cancellation = repository.cancellation
        let newestCopy = try target.listSnapshots().snapshots.filter { $0.snapshot.copiedFrom != nil }.map(\.snapshot.time).max()
        var wanted = Set(snapshots)
        if let newestCopy {
            for record in try repository.listSnapshots().snapshots where record.snapshot.time > newestCopy {
                wanted.insert(record.id)
            }
        }
        let request = CopyRequest(snapshots: wanted.map(\.hex))
        let outcome = try CopyJob.run(from: repository, to: target, request: request) { p in
            report(.progress("offsite: \(p.snapshotsDone)/\(p.snapshotsTotal) snapshots, \(p.blobsCopied) blobs, \(p.bytesCopied) B"))
        }
        var detail = "copied \(outcome.copied.count) snapshot(s) to \(target.backend.location) (\(outcome.blobsCopied) blobs, \(outcome.bytesAdded) B stored)"
        if !outcome.alreadyPresent.isEmpty { detail += ", \(outcome.alreadyPresent.count) already there" }
        if let policies = settings.retention {
            let removed = try ForgetJob.run(repository: target, policies: policies, now: now).removed
            detail += "; forgot \(removed.count) offsite snapshot(s) by its policy"
        }
        return detail
    }

    /// Opens the offsite repository with its own passphrase: `password_file`,
    /// else `$STACKBACKUP_OFFSITE_PASSWORD_FILE`, else `$STACKBACKUP_OFFSITE_PASSWORD`.
    public static func open(_ settings: OffsiteSettings, environment: [String: String]) throws -> Repository {
        let backend = try BackendLocation.parse(settings.repository)
            .makeBackend(environment: environment, credentials: try settings.s3Credentials())
        let passphrase: [UInt8]
        if let file = settings.passwordFile {
            passphrase = try Passphrase.read(file, from: "offsite.password_file")
        } else if let file = environment["STACKBACKUP_OFFSITE_PASSWORD_FILE"], !file.isEmpty {
            passphrase = try Passphrase.read(file, from: "STACKBACKUP_OFFSITE_PASSWORD_FILE")
        } else if let text = environment["STACKBACKUP_OFFSITE_PASSWORD"], !text.isEmpty {
            passphrase = Array(text.utf8)
        } else {
            throw RepositoryError(.invalidArgument, "no passphrase for the offsite repository: set offsite.password_file in the config, or STACKBACKUP_OFFSITE_PASSWORD_FILE")
        }
        return try Repository.open(backend: backend, passphrase: passphrase)
    }
}
