import Foundation

/// `backup volume [NAME…]`: the configured volumes, one snapshot each,
/// through one `SourceBatch` (a failing volume does not stop the others).
public enum BackupVolumesJob {
    /// What the caller shows while the batch runs; `started` and `finished`
    /// are called inside the volume's turn, so an error they throw fails it.
    public enum Event {
        case started(VolumeBackupRequest)
        case progress(VolumeBackupRequest, BackupProgress)
        case finished(VolumeBackupRequest, VolumeBackupOutcome)
        case failed(source: String, any Error)
    }

    /// The volumes `names` means (all when empty); an unknown name or an empty list is a usage error.
    public static func select(_ names: [String], from config: StackConfig) throws -> [VolumeSettings] {
        let unknown = names.filter { name in !config.volumes.contains { $0.name == name } }
        guard unknown.isEmpty else {
            throw RepositoryError(.invalidArgument, "no volume named \(unknown.joined(separator: ", ")) in the config; configured: \(config.volumes.map(\.name).joined(separator: ", "))")
        }
        let selected = names.isEmpty ? config.volumes : config.volumes.filter { names.contains($0.name) }
        guard !selected.isEmpty else { throw RepositoryError(.invalidArgument, "the config lists no volumes; add them under `volumes:`") }
        return selected
    }

    /// The request for one configured volume.
    public static func request(_ volume: VolumeSettings, tags: [String] = [], time: Date? = nil, dryRun: Bool = false) -> VolumeBackupRequest {
        var request = VolumeBackupRequest(name: volume.name, path: volume.path)
        request.excludes = volume.exclude
        request.keeps = volume.keepPatterns
        request.sqliteGlobs = volume.sqlite
        request.oneFileSystem = volume.oneFileSystem
        request.tags = tags
        request.time = time
        request.dryRun = dryRun
        return request
    }

    /// Backs up each request in turn. A stop (signal, lost lock) ends the batch
    /// and is in `interruption`; the caller decides the exit from `outcome()`.
    public static func run(_ requests: [VolumeBackupRequest], repository: Repository,
                           events: @escaping (Event) throws -> Void) -> SourceBatch<VolumeBackupOutcome> {
        var batch = SourceBatch<VolumeBackupOutcome>(cancellation: repository.cancellation, isPartial: \.isPartial)
        for request in requests {
            let result = batch.run(request.name) {
                try events(.started(request))
                let outcome = try VolumeBackupJob.run(request, repository: repository) { p in try? events(.progress(request, p)) }
                try events(.finished(request, outcome))
                return outcome
            }
            if case .failure(let error)? = result, !(error is InterruptedError) { try? events(.failed(source: request.name, error)) }
            if batch.interruption != nil { break }
        }
        return batch
    }
}
