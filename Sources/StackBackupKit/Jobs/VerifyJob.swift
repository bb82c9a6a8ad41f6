import Foundation

/// `verify` without a drill: the structure check (optionally reading data)
/// under a shared lock, or the file-name check that needs no key.
public enum VerifyJob {
    /// Checks snapshots, trees, index and the selected packs under a shared lock.
    public static func check(repository: Repository, readData: ReadDataSelection,
                             progress: ((String) -> Void)? = nil) throws -> DamageReport {
        let lock = try repository.lock(exclusive: false, command: "verify")
        defer { try? lock.release() }
        return try Checker(manifestBlobs: Checker.databaseManifests).check(repository: repository, readData: readData, progress: progress)
    }

    /// Compares every file with the SHA-256 in its name; no key, no lock.
    public static func checkFileNames(backend: Backend) throws -> DamageReport {
        try Checker.checkFileNames(backend: backend)
    }

    /// An `auto` slice counts towards the weekly coverage in the status file,
    /// as in `run`: returns the slices read this cycle, nil when nothing was recorded.
    public static func recordAutoSlice(of report: DamageReport, statusFile: String?) throws -> Int? {
        guard let slice = report.readSlice, let slices = report.readSlices, let statusFile else { return nil }
        var status = RunStatus.load(path: statusFile) ?? RunStatus()
        let coverage = VerifySlice.record(slice: slice, of: slices, in: &status)
        try status.save(path: statusFile)
        return coverage
    }
}
