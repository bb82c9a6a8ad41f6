// Volumes: folder snapshots. The archiver walks a folder (lstat, byte names,
// excludes, one file system), reuses the parent snapshot's content ids for
// unchanged files, reads changed files on worker threads through the keyed
// FastCDC chunker into a `BlobSaver`, copies SQLite databases with the online
// backup API, and saves one tree blob per folder, bottom-up. The restorer,
// `SnapshotTree` (ls, diff) read those trees back through a `BlobLoader`.

import Foundation

/// How a folder is backed up.
public struct VolumeBackupOptions: Sendable {
    /// Globs relative to the volume root (see `GlobPattern`) of entries to skip.
    public var excludes: [String]
    /// Globs of entries backed up even when `excludes` covers them, such as
    /// Immich's `thumbs/.immich`. For an anchored glob (one with `/`) the walker
    /// enters the excluded folders on its way and records only the kept entries.
    public var keeps: [String] = []
    /// Globs of SQLite databases to copy through the online backup API.
    /// Their `-wal`, `-shm` and `-journal` companions are not archived.
    public var sqliteGlobs: [String]
    /// Stop at mount points: a folder on another device is recorded empty.
    public var oneFileSystem: Bool
    /// Worker threads that read and chunk files.
    public var parallelism: Int
    public var chunker: ChunkerParameters
    public var gear: GearTable
    /// Where SQLite copies are staged; the system temp folder when nil.
    public var temporaryDirectory: String?
    /// Stops the walk and the readers (the job's token; nil: never stopped).
    public var cancellation: Cancellation?

    public init(excludes: [String] = [], sqliteGlobs: [String] = [], oneFileSystem: Bool = false,
                parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
                chunker: ChunkerParameters = .volumes, gear: GearTable, temporaryDirectory: String? = nil) {
        self.excludes = excludes
        self.sqliteGlobs = sqliteGlobs
        self.oneFileSystem = oneFileSystem
        self.parallelism = max(1, parallelism)
        self.chunker = chunker
        self.gear = gear
        self.temporaryDirectory = temporaryDirectory
    }
}

/// Progress of a backup or restore, reported from worker threads (serialized).
public struct BackupProgress: Sendable {
    public var filesDone: Int
    public var bytesDone: Int64
    /// Known once the walk has finished.
    public var bytesTotal: Int64?
    public var currentPath: String

    public init(filesDone: Int = 0, bytesDone: Int64 = 0, bytesTotal: Int64? = nil, currentPath: String = "") {
        self.filesDone = filesDone
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.currentPath = currentPath
    }
}

/// The outcome of archiving a folder.
public struct ArchiveResult: Sendable {
    /// The root tree blob.
    public var tree: ObjectID
    public var stats: SnapshotStats
    /// Entries left out (unreadable, vanished, name too long), folders recorded
    /// empty and files stored while they kept changing, sorted by path: the
    /// backup is partial when this is not empty; the snapshot holds the rest.
    public var skipped: [SkippedEntry]
    /// Worth saying but leaving the backup whole (a file read twice because it changed).
    public var notes: [String]

    /// The human warnings: one per skipped entry, then the notes.
    public var warnings: [String] { skipped.map(\.message) + notes }
}
