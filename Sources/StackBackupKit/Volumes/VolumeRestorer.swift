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
/// deepest first, so read-only folders do not block their contents.
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
        try prepareTarget(target)
        let plan = RestorePlan(includes: try GlobSet(options.includes))
        try plan.build(store: store, tree: tree)
        let writer = RestoreWriter(store: store, target: target, overwrite: options.overwrite,
                                   bytesTotal: plan.bytesTotal, progress: progress)
        for directory in plan.directories where directory.needed {
            writer.makeDirectory(directory.path)
        }
        let jobs = plan.files
        let next = WorkQueue<RestorePlan.Entry>()
        for job in jobs { next.push(job) }
        next.finish()
        let stop = options.cancellation?.onCancel { next.cancel() }
        defer { stop?.remove() }
        let threads = WorkerThreads(min(options.parallelism, max(1, jobs.count)), name: "stackbackup-restore") { _ in
            while let job = next.pop() { writer.writeFile(job) }
        }
        threads.join()
        if let reason = options.cancellation?.reason {
            let done = writer.result.files
            throw InterruptedError(reason: reason, detail: "\(done) of \(jobs.count) file(s) were restored into \(options.target) and the ones being written were removed; folder modes and times are not set: run the restore again with --overwrite to finish")
        }
        for link in plan.hardLinks { writer.link(link.entry, to: link.first) }
        for entry in plan.others { writer.makeSpecial(entry) }
        for directory in plan.directories.reversed() where directory.needed {
            writer.applyMetadata(directory.path, directory.node, isSymlink: false)
        }
        return writer.result
    }

    private func prepareTarget(_ target: [UInt8]) throws {
        let name = ByteString.display(target)
        if let status = try? FileSystem.lstatus(target) {
            guard status.nodeType == .directory else {
                throw VolumeError(.notADirectory, "the restore target \(name) exists and is not a folder; choose another target")
            }
            if !options.overwrite, try !FileSystem.listDirectory(target).isEmpty {
                throw VolumeError(.targetNotEmpty, "the restore target \(name) is not empty; choose an empty folder or pass --overwrite")
            }
            return
        }
        var built: [UInt8] = target.first == 0x2F ? [0x2F] : []
        for part in target.split(separator: 0x2F) {
            built = built.isEmpty ? Array(part) : FileSystem.join(built, Array(part))
            let rc = FileSystem.withCPath(built) { mkdir($0, 0o755) }
            if rc != 0 && errno != EEXIST { throw VolumeError.system("mkdir", path: built, errno: errno) }
        }
    }
}

/// What to restore, gathered from the snapshot's trees before anything is written.
final class RestorePlan {
    struct Entry: Sendable {
        let path: [UInt8]
        let node: Node
    }

    final class Directory {
        let path: [UInt8]
        let node: Node
        var needed = false
        init(path: [UInt8], node: Node) { (self.path, self.node) = (path, node) }
    }

    let includes: GlobSet
    var directories: [Directory] = []
    var files: [Entry] = []
    var hardLinks: [(entry: Entry, first: [UInt8])] = []
    var others: [Entry] = []
    var bytesTotal: Int64 = 0
    private var linked: [ArchiveRun.HardLinkKey: [UInt8]] = [:]
    private var stack: [Directory] = []

    init(includes: GlobSet) { self.includes = includes }

    func build(store: BlobLoader, tree: ObjectID) throws {
        try visit(store: store, tree: tree, prefix: [], included: includes.isEmpty)
    }

    private func visit(store: BlobLoader, tree: ObjectID, prefix: [UInt8], included parentIncluded: Bool) throws {
        for node in try store.loadTree(tree).nodes {
            let path = FileSystem.join(prefix, node.name)
            let included = parentIncluded || includes.matches(path, isDirectory: node.type == .directory)
            if included { markAncestorsNeeded() }
            switch node.type {
            case .directory:
                let directory = Directory(path: path, node: node)
                directory.needed = included
                directories.append(directory)
                guard let subtree = node.subtree else { continue }
                stack.append(directory)
                try visit(store: store, tree: subtree, prefix: path, included: included)
                stack.removeLast()
            case .file where included:
                let entry = Entry(path: path, node: node)
                let key = ArchiveRun.HardLinkKey(device: node.device, inode: node.inode)
                if node.links > 1, let first = linked[key] {
                    hardLinks.append((entry, first))
                } else {
                    if node.links > 1 { linked[key] = path }
                    files.append(entry)
                    bytesTotal += node.size
                }
            default:
                if included { others.append(Entry(path: path, node: node)) }
            }
        }
    }

    private func markAncestorsNeeded() {
        for directory in stack.reversed() {
            if directory.needed { break }
            directory.needed = true
        }
    }
}
