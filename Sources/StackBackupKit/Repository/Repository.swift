import Foundation

/// Counters of what this `Repository` instance stored; read after `flush()`.
public struct RepositoryStats: Sendable, Equatable {
    /// Stored (sealed) bytes of new blobs.
    public var bytesAdded: Int64 = 0
    public var blobsAdded = 0
    /// Blobs skipped because they were already stored.
    public var blobsDeduplicated = 0
    public var packsWritten = 0
    public var indexSegmentsWritten = 0

    public init() {}
}

/// An open repository (format version 1): a thread-safe `BlobStore` plus
/// snapshots, keys and locks.
///
/// Thread safety: `saveBlob`, `loadBlob` and `hasBlob` may be called from
/// many threads at once; each saving thread borrows its own `BlobWriter`
/// (pack, compressor) from a pool. `flush()` must not run concurrently with
/// `saveBlob`. Data saved becomes durable and visible to other processes only
/// after `flush()` (which `saveSnapshot` calls first).
public final class Repository: BlobStore, @unchecked Sendable {
    public let backend: Backend
    public let config: RepositoryConfig
    public let gearTable: GearTable
    let key: MasterKey
    /// The locks taken through this instance, proven before index segments and snapshots are written.
    let heldLocks = HeldLocks()

    /// Guards everything below.
    let mutex = NSLock()
    var index = MasterIndex()
    var inFlight: Set<MasterIndex.BlobKey> = []
    var idleWriters: [BlobWriter] = []
    var allWriters: [BlobWriter] = []
    var pendingPacks: [IndexSegment.PackRecord] = []
    var statsValue = RepositoryStats()
    var currentKeyID: String
    var damagedSegments: [(name: String, error: String)] = []
    var snapshotCache: [String: Snapshot] = [:]
    /// Set when blobs reported as saved were lost (a pack failed to write):
    /// `flush` then fails, so no snapshot can reference them.
    var lostBlobs: Error?
    var defaultLockWait: TimeInterval = 0
    var stopToken = Cancellation()

    /// A backup writes an index segment every this many packs.
    static let packsPerSegment = 32

    init(backend: Backend, config: RepositoryConfig, key: MasterKey, keyID: String) throws {
        self.backend = backend
        self.config = config
        self.key = key
        self.currentKeyID = keyID
        self.gearTable = try GearTable(seed: key.chunkerSeed)
    }

    /// The stop token of the job working on this repository (the executable
    /// sets its signal token here). Blob saves and loads and snapshot writes
    /// check it, so every job stops at its next blob once it is cancelled;
    /// jobs that wait elsewhere (a server, a child process) register on it.
    public var cancellation: Cancellation {
        get { mutex.withLock { stopToken } }
        set { mutex.withLock { stopToken = newValue } }
    }

    /// The master key, for callers that need the id key (e.g. to compute ids without storing).
    public var masterKey: MasterKey { key }

    /// Creates a repository in an empty location and returns it open.
    public static func initialize(backend: Backend, passphrase: [UInt8], kdf: KDFParameters = .default,
                                  packSize: Int = RepositoryConfig.defaultPackSize) throws -> Repository {
        guard RepositoryConfig.packSizeRange.contains(packSize) else {
            throw RepositoryError(.invalidArgument, "pack size \(packSize) is out of range; use 64 KiB to 1 GiB")
        }
        guard !passphrase.isEmpty else {
            throw RepositoryError(.invalidArgument, "the repository passphrase is empty; give a non-empty passphrase")
        }
        if backend.createsRepositoryLayout {
            try backend.createRepositoryLayout()
        } else {
            for kind in FileKind.allCases where !(try backend.list(kind)).isEmpty {
                throw RepositoryError(.notEmpty, "\(backend.location) is not empty; give an empty or new location for the repository")
            }
        }
        let key = MasterKey.random()
        let config = RepositoryConfig.random(packSize: packSize)
        let keyFile = try KeyFile.make(master: key, passphrase: passphrase, kdf: kdf)
        let keyID = SecureRandom.bytes(32).hexString
        // Key first, config last: a location without config is no repository.
        try backend.save(Handle(.key, keyID), keyFile.encoded())
        try backend.save(Handle(.config, "config"), config.encoded())
        return try Repository(backend: backend, config: config, key: key, keyID: keyID)
    }

    /// Opens an existing repository with any of its keys and loads the index.
    public static func open(backend: Backend, passphrase: [UInt8]) throws -> Repository {
        let configHandle = Handle(.config, "config")
        guard try backend.exists(configHandle) else {
            throw RepositoryError(.noRepository, "there is no repository at \(backend.location) (no config file); check the path, or create one with `stackbackup init`")
        }
        let config = try RepositoryConfig.decode(backend.load(configHandle), location: backend.location)
        let (master, keyID) = try openMasterKey(backend: backend, passphrase: passphrase)
        let repository = try Repository(backend: backend, config: config, key: master, keyID: keyID)
        try repository.loadIndex()
        return repository
    }

    // MARK: - Index

    /// (Re)loads every index segment, skipping superseded ones. A damaged
    /// segment does not fail the load: it is listed in `damagedIndexSegments`
    /// (its blobs look missing, so a backup stores them again).
    public func loadIndex() throws {
        let names = try backend.list(.index).map(\.name).sorted()
        var segments: [(ObjectID, IndexSegment)] = []
        var damaged: [(name: String, error: String)] = []
        for name in names {
            guard let id = ObjectID(hex: name) else {
                damaged.append((name, "is not named by a SHA-256"))
                continue
            }
            do {
                segments.append((id, try IndexSegment.load(backend: backend, name: name, key: key)))
            } catch {
                damaged.append((name, "\(error)"))
            }
        }
        let superseded = Set(segments.flatMap(\.1.supersedes))
        var fresh = MasterIndex()
        for (id, segment) in segments where !superseded.contains(id) {
            do {
                try fresh.add(segment, name: id, object: "index segment index/\(id.hex)")
            } catch {
                damaged.append((id.hex, "\(error)"))
            }
        }
        mutex.withLock {
            // Packs written by this instance but not yet in a segment stay known.
            if !pendingPacks.isEmpty {
                try? fresh.add(IndexSegment(packs: pendingPacks), name: nil, object: "pending index")
            }
            index = fresh
            damagedSegments = damaged
        }
    }

    /// Index segments that could not be loaded, with the reason.
    public var damagedIndexSegments: [(name: String, error: String)] { mutex.withLock { damagedSegments } }

    /// A copy of the in-memory index.
    public var currentIndex: MasterIndex { mutex.withLock { index } }

    public var stats: RepositoryStats { mutex.withLock { statsValue } }

    public func resetStats() { mutex.withLock { statsValue = RepositoryStats() } }

    /// Finishes every open pack and writes the pending index segment. Call
    /// when no `saveBlob` is running.
    public func flush() throws {
        let writers = mutex.withLock { allWriters }
        for writer in writers {
            try writePack(of: writer)
        }
        let packs = mutex.withLock { () -> [IndexSegment.PackRecord] in
            defer { pendingPacks = [] }
            return pendingPacks
        }
        try writeSegment(packs)
        if let lost = mutex.withLock({ lostBlobs }) { throw lost }
    }

    // MARK: - Sealed documents

    /// Seals and stores a document; returns its id (the SHA-256 of the file).
    func saveDocument(_ plaintext: [UInt8], kind: FileKind, trailer: [UInt8]? = nil) throws -> ObjectID {
        let bytes = try SealedFile.seal(plaintext, kind: kind, key: key, trailer: trailer)
        let id = SHA256.hash(bytes)
        try backend.save(Handle(kind, id), bytes)
        return id
    }

    /// Loads a sealed document, checking its name and tag.
    func loadDocument(kind: FileKind, name: String) throws -> [UInt8] {
        let handle = Handle(kind, name)
        let object = "\(handle.relativePath)"
        let bytes: [UInt8]
        do {
            bytes = try backend.load(handle)
        } catch let error as BackendError where error.code == .shortRead {
            throw IntegrityError(object: object, problem: "is truncated")
        }
        guard let expected = ObjectID(hex: name), SHA256.hash(bytes) == expected else {
            throw IntegrityError(object: object, problem: "has a SHA-256 that does not match its name")
        }
        return try SealedFile.open(bytes, kind: kind, key: key, object: object)
    }

    func writeSegment(_ packs: [IndexSegment.PackRecord]) throws {
        guard !packs.isEmpty else { return }
        do {
            // An index naming packs that a prune may have deleted meanwhile would be damage.
            try proveHeldLocks("no index or snapshot was written")
            let segment = IndexSegment(packs: packs)
            let id = try saveDocument(try DocumentJSON.encode(segment), kind: .index, trailer: segment.keylessListing)
            mutex.withLock {
                statsValue.indexSegmentsWritten += 1
                index.markSegment(id)
            }
        } catch {
            mutex.withLock { pendingPacks = packs + pendingPacks }
            throw error
        }
    }
}
