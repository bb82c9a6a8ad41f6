import Foundation
import Synchronization

/// Backs up one folder into a `BlobStore` and returns its root tree.
///
/// One walker thread (the caller's) lstat's every entry and decides: an
/// unchanged file (same size, mtime, ctime and inode as in the parent tree)
/// reuses its content ids unread; every other file becomes a `ReadJob` for
/// `parallelism` worker threads that chunk it into `data` blobs. Folders whose
/// files are all known are saved during the walk; the rest are saved
/// bottom-up once the workers are done. Entries that cannot be read, and files
/// that keep changing while read, are recorded as `SkippedEntry`s (the backup
/// is partial, the snapshot holds the rest); store failures abort the run.
public final class VolumeArchiver {
    let store: BlobStore
    let options: VolumeBackupOptions
    let progress: ((BackupProgress) -> Void)?

    public init(store: BlobStore, options: VolumeBackupOptions, progress: ((BackupProgress) -> Void)? = nil) {
        self.store = store
        self.options = options
        self.progress = progress
    }

    /// Archives the folder at `path`. `parentTree` is the root tree of the
    /// previous snapshot of the same source, if any.
    public func archive(path: String, parentTree: ObjectID?) throws -> ArchiveResult {
        try archive(pathBytes: Array(path.utf8), parentTree: parentTree)
    }

    public func archive(pathBytes root: [UInt8], parentTree: ObjectID?) throws -> ArchiveResult {
        let started = Date()
        let rootStatus: FileStatus
        do {
            rootStatus = try FileSystem.status(root)
        } catch {
            throw VolumeError(.notADirectory, "cannot back up \(ByteString.display(root)): \(error)")
        }
        guard rootStatus.nodeType == .directory else {
            throw VolumeError(.notADirectory, "\(ByteString.display(root)) is not a folder; give the folder to back up")
        }
        let rootHandle = try DirectoryHandle.open(root, followSymlink: true)
        let run = ArchiveRun(store: store, options: options, progress: progress,
                             excludes: try GlobSet(options.excludes), keeps: try GlobSet(options.keeps), sqlite: try GlobSet(options.sqliteGlobs),
                             root: rootHandle, rootStatus: try rootHandle.status())
        run.queue.start { _, next in try run.work(next) }
        let walked: WalkedDirectory
        do {
            let parent = parentTree.flatMap { run.loadParent($0, path: []) }
            walked = try DeepStack.run { try run.walk(relativePath: [], parent: parent) }
            try? run.queue.join()  // a worker's store error is the stop reason below
        } catch {
            run.queue.cancel()
            try? run.queue.join()
            // The walker stops when the queue closes; report why it closed.
            throw run.stopReason ?? error
        }
        if let reason = run.stopReason { throw reason }
        let tree = try DeepStack.run { try run.finish(walked) }  // recursive, one frame per pending level
        var stats = run.stats
        stats.durationSeconds = Date().timeIntervalSince(started)
        let (skipped, notes) = run.findings.withLock { ($0.skipped.sorted { $0.path < $1.path }, $0.notes) }
        stats.entriesSkipped = skipped.isEmpty ? nil : skipped.count
        return ArchiveResult(tree: tree, stats: stats, skipped: skipped, notes: notes)
    }
}

/// A folder after the walk: saved already, or waiting for file contents.
enum WalkedDirectory {
    case saved(ObjectID)
    case pending(PendingDirectory)
}

/// A folder whose tree can only be saved after some of its files were read.
final class PendingDirectory {
    var nodes: [Node]
    /// Node index → the job whose content it takes.
    var jobs: [(node: Int, job: Int)] = []
    /// Node index → a sub-folder still pending.
    var children: [(node: Int, directory: PendingDirectory)] = []
    /// The backup root's own metadata, on the root folder only.
    var root: FolderMetadata?

    init(nodes: [Node]) { self.nodes = nodes }
}

/// The state of one `archive` call, shared by the walker and the workers.
final class ArchiveRun: @unchecked Sendable {
    let store: BlobStore
    let options: VolumeBackupOptions
    let progressHandler: ((BackupProgress) -> Void)?
    let excludes: GlobSet
    let keeps: GlobSet
    let sqlite: GlobSet
    let rootDevice: UInt64
    let rootMetadata: FolderMetadata
    let owners = OwnerNames()
    /// The reading workers; the first store error stops them and is the run's stop reason.
    let queue: ThreadPool<ReadJob>
    /// Folder descriptors held by the walk and its queued jobs; the walker waits at the limit.
    let budget = DescriptorBudget(limit: DirectoryChain.window + 128)
    /// Walker-only: the open folders from the root to the one being walked.
    var chain: DirectoryChain

    private let lock = NSLock()
    private var results: [Int: ChunkedFile] = [:]
    private(set) var stats = SnapshotStats()
    /// Jobs whose read failed → the record of their path (for the file's other hard links).
    private var failedJobs: [Int: SkippedEntry] = [:]
    /// What could not be stored as it was, and what else the user should know.
    let findings = Mutex<(skipped: [SkippedEntry], notes: [String])>(([], []))
    private var progressState = BackupProgress()
    /// Walker-only: hard links seen in this run, (device, inode) → content source.
    var hardLinks: [HardLinkKey: ContentSource] = [:]
    var jobCount = 0

    struct HardLinkKey: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    enum ContentSource {
        case known([ObjectID])
        case job(Int)
    }

    init(store: BlobStore, options: VolumeBackupOptions, progress: ((BackupProgress) -> Void)?,
         excludes: GlobSet, keeps: GlobSet, sqlite: GlobSet, root: DirectoryHandle, rootStatus: FileStatus) {
        self.store = store
        self.options = options
        self.progressHandler = progress
        self.excludes = excludes
        self.keeps = keeps
        self.sqlite = sqlite
        self.rootDevice = rootStatus.device
        queue = ThreadPool(name: "stackbackup-read", threads: options.parallelism, cancellation: options.cancellation)
        chain = DirectoryChain(root: root, status: rootStatus, budget: budget)
        var folder = FolderMetadata(mode: rootStatus.mode & 0o7777, uid: rootStatus.uid, gid: rootStatus.gid, mtimeNs: rootStatus.mtimeNs)
        folder.user = owners.userName(rootStatus.uid)
        folder.group = owners.groupName(rootStatus.gid)
        rootMetadata = folder
    }

    /// Why the run must stop: the first fatal worker error (a store failure),
    /// else the job's cancellation. Nil while the run may go on.
    var stopReason: Error? {
        if let fatal = queue.error { return fatal }
        if let reason = options.cancellation?.reason { return InterruptedError(reason: reason) }
        return nil
    }

    /// Records an entry left out, recorded empty or stored while changing: the backup is partial.
    func skip(_ entry: SkippedEntry) {
        findings.withLock { $0.skipped.append(entry) }
    }

    /// An entry (`relativePath` from the root) whose listing, lstat, readlink or read failed.
    func skip(_ relativePath: [UInt8], _ error: Error, folder: Bool = false) {
        skip(SkippedEntry(path: Self.display(relativePath), error: error, folder: folder))
    }

    func skip(_ relativePath: [UInt8], _ reason: SkippedEntry.Reason, _ detail: String? = nil) {
        skip(SkippedEntry(path: Self.display(relativePath), reason: reason, error: detail))
    }

    /// Something worth saying that leaves the backup whole.
    func note(_ message: String) {
        findings.withLock { $0.notes.append(message) }
    }

    static func display(_ relativePath: [UInt8]) -> String {
        relativePath.isEmpty ? "/" : ByteString.display(relativePath)
    }

    func count(_ update: (inout SnapshotStats) -> Void) {
        lock.withLock { update(&stats) }
    }

    func enqueue(directory: DirectoryHandle, name: [UInt8], relativePath: [UInt8], isSQLite: Bool) -> Int {
        let index = jobCount
        jobCount += 1
        queue.submit(ReadJob(index: index, directory: directory, name: name, relativePath: relativePath, isSQLite: isSQLite))
        return index
    }

    /// The parent snapshot's tree of a folder, or nil (with a warning) when it cannot be read.
    func loadParent(_ id: ObjectID, path: [UInt8]) -> Tree? {
        do {
            return try store.loadTree(id)
        } catch {
            note("parent tree of \(Self.display(path)) unreadable, reading its files again: \(error)")
            return nil
        }
    }

    // MARK: Workers

    /// A reading worker: a file that cannot be read is skipped; any other error
    /// (a store failure) is thrown and stops the pool.
    func work(_ next: () -> ReadJob?) throws {
        let chunker = FileChunker(store: store, parameters: options.chunker, gear: options.gear)
        while let job = next() {
            do {
                let chunked = try read(job, with: chunker)
                lock.withLock {
                    results[job.index] = chunked
                    stats.bytesRead += chunked.bytesRead + chunked.bytesDiscarded
                    stats.bytesAdded += chunked.bytesAdded
                    stats.blobsAdded += chunked.blobsAdded
                }
                switch chunked.consistency {
                case .stable: break
                case .stableOnReread:
                    note("\(Self.display(job.relativePath)) changed while being read; read it again, the second read was consistent")
                case .changing:
                    skip(job.relativePath, .changedWhileRead)
                }
                report(filesDone: 1, bytes: 0, path: job.relativePath)
            } catch let error as VolumeError {
                let entry = SkippedEntry(path: Self.display(job.relativePath), error: error)
                lock.withLock { failedJobs[job.index] = entry }
                skip(entry)
            }
        }
    }

    private func read(_ job: ReadJob, with chunker: FileChunker) throws -> ChunkedFile {
        let onRead: (Int) -> Void = { [self] n in report(filesDone: 0, bytes: n, path: job.relativePath) }
        guard job.isSQLite else { return try chunker.chunk(in: job.directory, name: job.name, onRead: onRead) }
        let folder = options.temporaryDirectory ?? NSTemporaryDirectory()
        let copy = FileSystem.join(Array(folder.utf8), Array("stackbackup-sqlite-\(getpid())-\(job.index).db".utf8))
        defer {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                _ = FileSystem.withCPath(copy + Array(suffix.utf8)) { unlink($0) }
            }
        }
        // SQLite opens by path: the folder's descriptor in /proc names it at any depth.
        try SQLiteSnapshot.copy(from: Array("/proc/self/fd/\(job.directory.fd)/".utf8) + job.name, to: copy)
        var chunked = try chunker.chunk(path: copy, onRead: onRead)
        chunked.status = nil  // the copy's times, not the database's
        return chunked
    }

    private func report(filesDone: Int, bytes: Int, path: [UInt8]) {
        guard let progressHandler else { return }
        lock.withLock {
            progressState.filesDone += filesDone
            progressState.bytesDone += Int64(bytes)
            progressState.currentPath = ByteString.display(path)
            progressHandler(progressState)
        }
    }

    func walkFinished(bytesTotal: Int64) {
        lock.withLock { progressState.bytesTotal = bytesTotal }
    }

    // MARK: Trees

    /// Saves the folders still pending once every job is done; returns the root tree.
    func finish(_ root: WalkedDirectory) throws -> ObjectID {
        switch root {
        case .saved(let id): return id
        case .pending(let directory): return try save(directory, path: [])
        }
    }

    private func save(_ directory: PendingDirectory, path: [UInt8]) throws -> ObjectID {
        var nodes = directory.nodes
        for (index, child) in directory.children {
            nodes[index].subtree = try save(child, path: FileSystem.join(path, nodes[index].name))
        }
        var dropped = Set<Int>()
        for (index, job) in directory.jobs {
            if let result = results[job] {
                nodes[index].content = result.content
                nodes[index].size = result.bytesRead
                if result.consistency != .changing, let status = result.status {
                    // The content is the file as fstat saw it after the read: record those
                    // times, so the next backup reuses it only while the file stays so.
                    nodes[index].mtimeNs = status.mtimeNs
                    nodes[index].ctimeNs = status.ctimeNs
                }
            } else {
                dropped.insert(index)
                let name = Self.display(FileSystem.join(path, nodes[index].name))
                if let first = failedJobs[job], first.path != name {
                    skip(SkippedEntry(path: name, reason: first.reason, error: "a hard link of \(first.path), which could not be read"))
                }
            }
        }
        if !dropped.isEmpty {
            nodes = nodes.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
        }
        return try saveTree(nodes, root: directory.root)
    }

    func saveTree(_ nodes: [Node], root: FolderMetadata? = nil) throws -> ObjectID {
        let saved = try store.saveTree(Tree(nodes: nodes, root: root))
        count {
            $0.directories += 1
            if saved.isNew {
                $0.blobsAdded += 1
                $0.bytesAdded += Int64(saved.storedSize)
            }
        }
        return saved.id
    }
}
