#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Where and what to restore.
public struct VolumeRestoreOptions: Sendable {
    /// The folder to restore into; created when missing.
    public var target: String
    /// Globs (see `GlobPattern`); an entry is restored when it or a parent
    /// folder matches. Empty: everything.
    public var includes: [String]
    /// Restore into a non-empty target, replacing entries of the same name.
    public var overwrite: Bool
    public var parallelism: Int
    /// The job's stop token: once cancelled, no new file is started, the files
    /// being written are removed (they fail at their next blob), and `run()`
    /// throws `InterruptedError`.
    public var cancellation: Cancellation?

    public init(target: String, includes: [String] = [], overwrite: Bool = false,
                parallelism: Int = ProcessInfo.processInfo.activeProcessorCount, cancellation: Cancellation? = nil) {
        self.cancellation = cancellation
        self.target = target
        self.includes = includes
        self.overwrite = overwrite
        self.parallelism = max(1, parallelism)
    }
}

/// The outcome of a restore: what was written and what failed.
public struct RestoreResult: Sendable {
    public var files = 0
    public var bytes: Int64 = 0
    /// Entries that could not be restored (path relative to the target).
    public var errors: [(path: String, message: String)] = []
}

/// Restores a snapshot tree into a folder.
///
/// Folders are created first (owner-writable), then files are written by
/// `parallelism` threads with every blob verified against its id by the
/// loader; a file that fails is removed and recorded, the others continue.
/// Then hard links, symlinks, and last the folders' own modes and times,
/// deepest first, so read-only folders do not block their contents, and the
/// snapshot root's on the target itself. Everything is created relative to
/// the target's descriptor (`RestoreDirectories`), never through a path string.
public final class VolumeRestorer {
    let store: BlobLoader
    let tree: ObjectID
    let options: VolumeRestoreOptions
    let progress: ((BackupProgress) -> Void)?

    public init(store: BlobLoader, tree: ObjectID, options: VolumeRestoreOptions, progress: ((BackupProgress) -> Void)? = nil) {
        self.store = store
        self.tree = tree
        self.options = options
        self.progress = progress
    }

    /// Restores; throws (having written nothing) when the target is not
    /// usable, returns per-entry failures in `errors` otherwise.
    public func run() throws -> RestoreResult {
        let target = Array(options.target.utf8)
        let plan = RestorePlan(includes: try GlobSet(options.includes))
        try plan.build(store: store, tree: tree)
        let handle = try prepareTarget(target)
        let directories = RestoreDirectories(target: handle, folders: plan.directories.map { ($0.parent, $0.node.name) })
        let writer = RestoreWriter(store: store, directories: directories, overwrite: options.overwrite,
                                   bytesTotal: plan.bytesTotal, progress: progress)
        for (index, directory) in plan.directories.enumerated() where directory.needed {
            writer.makeDirectory(directory, index: index)
        }
        let jobs = plan.files
        // writeFile records each file's failure itself: no worker throws.
        let pool = ThreadPool<RestorePlan.Entry>(name: "stackbackup-restore", threads: min(options.parallelism, max(1, jobs.count)),
                                                 cancellation: options.cancellation)
        for job in jobs { pool.submit(job) }
        pool.start { job in writer.writeFile(job) }
        try pool.join()
        if let reason = options.cancellation?.reason {
            let done = writer.result.files
            throw InterruptedError(reason: reason, detail: "\(done) of \(jobs.count) file(s) were restored into \(options.target) and the ones being written were removed; folder modes and times are not set: run the restore again with --overwrite to finish")
        }
        for link in plan.hardLinks { writer.link(link.entry, to: link.first) }
        for entry in plan.others { writer.makeSpecial(entry) }
        try setFolderMetadata(plan, writer: writer, target: handle)
        if let root = plan.root { writer.applyRootMetadata(root) }
        return writer.result
    }

    /// Each folder's own mode, owner and times after everything in it (post-order),
    /// walking the plan's pre-order list with a `DirectoryChain`: one open per
    /// folder and a bounded number of descriptors at any depth.
    private func setFolderMetadata(_ plan: RestorePlan, writer: RestoreWriter, target: DirectoryHandle) throws {
        var chain = DirectoryChain(root: target, status: try target.status())
        var path: [Int] = []          // plan indices of the folders on the chain
        var unreachable = Set<Int>()  // folders that could not be opened, and everything below them
        func finish() throws {
            let index = path.removeLast()
            let folder = try chain.top()
            try chain.pop()  // first: reopening the parent through ".." may need the folder still searchable
            writer.applyMetadata(plan.directories[index], handle: folder)
        }
        for (index, directory) in plan.directories.enumerated() where directory.needed {
            if unreachable.contains(directory.parent) {
                unreachable.insert(index)
                continue
            }
            while let last = path.last, last != directory.parent { try finish() }
            do {
                try chain.push(name: directory.node.name)
                path.append(index)
            } catch {
                writer.fail(directory, error)
                unreachable.insert(index)
            }
        }
        while !path.isEmpty { try finish() }
    }

    /// The target folder, opened without following a symlink; created (with its
    /// parents) when missing. Refuses a non-folder, and without `overwrite` a non-empty folder.
    private func prepareTarget(_ target: [UInt8]) throws -> DirectoryHandle {
        let name = ByteString.display(target)
        if let status = try? FileSystem.lstatus(target) {
            guard status.nodeType == .directory else {
                throw VolumeError(.notADirectory, "the restore target \(name) exists and is not a folder; choose another target")
            }
            let handle = try DirectoryHandle.open(target, followSymlink: false)
            if !options.overwrite, try !handle.list().isEmpty {
                throw VolumeError(.targetNotEmpty, "the restore target \(name) is not empty; choose an empty folder or pass --overwrite")
            }
            return handle
        }
        var built: [UInt8] = target.first == 0x2F ? [0x2F] : []
        for part in target.split(separator: 0x2F) {
            built = built.isEmpty ? Array(part) : FileSystem.join(built, Array(part))
            let rc = FileSystem.withCPath(built) { mkdir($0, 0o755) }
            if rc != 0 && errno != EEXIST { throw VolumeError.system("mkdir", path: built, errno: errno) }
        }
        return try DirectoryHandle.open(target, followSymlink: false)
    }
}
