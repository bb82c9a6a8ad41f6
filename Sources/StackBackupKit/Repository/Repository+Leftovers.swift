import Foundation

/// What crashes left in a repository and prune removed (or, in a dry run, would remove).
public struct CrashLeftovers: Sendable, Equatable {
    /// Lock files of processes that no longer exist on this host.
    public var locks = 0
    /// Temp files older than `Repository.leftoverTempAge` (partial packs and documents).
    public var tempFiles = 0
    public var tempBytes: Int64 = 0

    public init() {}
}

extension Repository {
    /// A temp file older than this belongs to no write in progress: a write
    /// takes seconds, and a process stopped for a day has lost its lock anyway.
    public static let leftoverTempAge: TimeInterval = 86_400

    /// Removes lock files of dead processes on this host and temp files older
    /// than a day (`Backend.temporaryFiles`: S3 uploads leave no temp objects);
    /// `dryRun` only counts them. The caller holds the exclusive lock, so no
    /// live process of this host can be mistaken for a dead one mid-write.
    /// Lock files of other hosts stay: their processes cannot be checked from here.
    public func removeCrashLeftovers(now: Date = Date(), dryRun: Bool = false) throws -> CrashLeftovers {
        var removed = CrashLeftovers()
        for (name, _) in try backend.list(.lock) {
            guard let info = try? readLock(name), info.isOfDeadProcess else { continue }
            if !dryRun {
                do {
                    try backend.remove(Handle(.lock, name))
                } catch let error as BackendError where error.code == .notFound {
                    continue
                }
            }
            removed.locks += 1
        }
        for file in try backend.temporaryFiles() where now.timeIntervalSince(file.modified) > Self.leftoverTempAge {
            if !dryRun { try backend.removeTemporaryFile(file) }
            removed.tempFiles += 1
            removed.tempBytes += file.size
        }
        return removed
    }
}
