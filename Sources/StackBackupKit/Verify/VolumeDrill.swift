#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// How a volume drill runs.
public struct VolumeDrillOptions: Sendable {
    /// Files to restore and check, chosen at random (deterministically by
    /// `seed`); nil restores and checks every file.
    public var sample: Int?
    /// Seed of the sample; nil derives it from the snapshot id, so the same
    /// snapshot always gives the same sample.
    public var seed: UInt64?
    /// The folder the temporary restore goes under (default `$TMPDIR` or /tmp).
    public var temporaryDirectory: String?
    public var parallelism: Int

    public init(sample: Int? = nil, seed: UInt64? = nil, temporaryDirectory: String? = nil,
                parallelism: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.sample = sample
        self.seed = seed
        self.temporaryDirectory = temporaryDirectory
        self.parallelism = max(1, parallelism)
    }
}

/// One file a volume drill found wrong.
public struct VolumeDrillMismatch: Codable, Sendable, Equatable {
    /// Path relative to the volume root.
    public var path: String
    public var problem: String
}

/// The outcome of a volume drill.
public struct VolumeDrillReport: Codable, Sendable, Equatable {
    public var volume: String
    public var snapshot: String
    /// Regular files in the snapshot.
    public var filesInSnapshot: Int
    public var filesChecked: Int
    public var bytesChecked: Int64
    public var mismatches: [VolumeDrillMismatch]
    public var seconds: Double
    public var passed: Bool { mismatches.isEmpty }

    enum CodingKeys: String, CodingKey {
        case volume, snapshot, filesInSnapshot = "files_in_snapshot", filesChecked = "files_checked"
        case bytesChecked = "bytes_checked", mismatches, seconds, passed
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(volume, forKey: .volume)
        try c.encode(snapshot, forKey: .snapshot)
        try c.encode(filesInSnapshot, forKey: .filesInSnapshot)
        try c.encode(filesChecked, forKey: .filesChecked)
        try c.encode(bytesChecked, forKey: .bytesChecked)
        try c.encode(mismatches, forKey: .mismatches)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(passed, forKey: .passed)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        volume = try c.decode(String.self, forKey: .volume)
        snapshot = try c.decode(String.self, forKey: .snapshot)
        filesInSnapshot = try c.decode(Int.self, forKey: .filesInSnapshot)
        filesChecked = try c.decode(Int.self, forKey: .filesChecked)
        bytesChecked = try c.decode(Int64.self, forKey: .bytesChecked)
        mismatches = try c.decode([VolumeDrillMismatch].self, forKey: .mismatches)
        seconds = try c.decode(Double.self, forKey: .seconds)
    }

    init(volume: String, snapshot: String) {
        self.volume = volume
        self.snapshot = snapshot
        filesInSnapshot = 0
        filesChecked = 0
        bytesChecked = 0
        mismatches = []
        seconds = 0
    }
}

/// Restores a sample of a volume snapshot's files (or all) into a temporary
/// folder with `VolumeRestorer`, then checks each restored file against its
/// tree node: content ids (the file re-chunked with the repository's volume
/// chunker and re-hashed with `blobID(for:)`), size, mode and mtime. The
/// folder is removed afterwards, also on failure. Blocking.
public final class VolumeDrill {
    let repository: Repository
    let options: VolumeDrillOptions

    public init(repository: Repository, options: VolumeDrillOptions = VolumeDrillOptions()) {
        self.repository = repository
        self.options = options
    }

    public func run(snapshot record: SnapshotRecord) throws -> VolumeDrillReport {
        let started = Date()
        guard record.snapshot.kind == .volume else {
            throw DrillError(.invalidSnapshot, "snapshot \(record.id.short) is a \(record.snapshot.kind.rawValue) snapshot, not a volume; give a volume snapshot to drill")
        }
        var report = VolumeDrillReport(volume: record.snapshot.source, snapshot: record.id.hex)
        let entries = try SnapshotTree.list(store: repository, tree: record.snapshot.root, path: nil).filter { $0.node.type == .file }
        report.filesInSnapshot = entries.count
        let chosen = VolumeDrill.choose(entries, sample: options.sample, seed: options.seed ?? VolumeDrill.seed(record.id))

        let base = try VolumeDrill.makeTemporaryFolder(options.temporaryDirectory)
        defer { VolumeDrill.removeTree(base) }
        let target = FileSystem.join(base, Array("restore".utf8))
        let includes = options.sample == nil ? [] : chosen.map { "/" + VolumeDrill.escapeGlob($0.path) }
        let restored = try VolumeRestorer(store: repository, tree: record.snapshot.root,
                                          options: VolumeRestoreOptions(target: ByteString.display(target), includes: includes,
                                                                        parallelism: options.parallelism)).run()
        var failed: Set<String> = []
        for error in restored.errors {
            failed.insert(error.path)
            report.mismatches.append(VolumeDrillMismatch(path: error.path, problem: "did not restore: \(error.message)"))
        }
        let chunker = FileChunker(store: BlobIDSaver(repository), parameters: repository.config.chunker.volumes, gear: repository.gearTable)
        for entry in chosen where !failed.contains(entry.displayPath) {
            report.filesChecked += 1
            if let problem = check(entry, at: FileSystem.join(target, entry.path), chunker: chunker) {
                report.mismatches.append(VolumeDrillMismatch(path: entry.displayPath, problem: problem))
            } else {
                report.bytesChecked += entry.node.size
            }
        }
        report.mismatches.sort { $0.path < $1.path }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    private func check(_ entry: ListedEntry, at path: [UInt8], chunker: FileChunker) -> String? {
        let node = entry.node
        guard let status = try? FileSystem.lstatus(path) else { return "is missing after the restore" }
        guard status.nodeType == .file else { return "was restored as \(status.nodeType?.rawValue ?? "something else"), not a file" }
        if status.size != node.size { return "has \(status.size) bytes, the snapshot recorded \(node.size)" }
        let content: [ObjectID]
        do {
            content = try chunker.chunk(path: path, onRead: { _ in }).content
        } catch {
            return "could not be read back: \(error)"
        }
        if content != (node.content ?? []) { return "content differs from the snapshot (chunk ids do not match)" }
        if status.mode & 0o7777 != node.mode & 0o7777 {
            return "has mode \(String(status.mode & 0o7777, radix: 8)), the snapshot recorded \(String(node.mode & 0o7777, radix: 8))"
        }
        if status.mtimeNs != node.mtimeNs { return "has mtime \(status.mtimeNs) ns, the snapshot recorded \(node.mtimeNs) ns" }
        return nil
    }

    /// `sample` files chosen by a seeded shuffle (all when nil), in path order.
    /// Only names that are valid UTF-8 can be sampled (restore includes are strings).
    static func choose(_ entries: [ListedEntry], sample: Int?, seed: UInt64) -> [ListedEntry] {
        guard let sample else { return entries }
        var pool = entries.filter { String(validating: $0.path, as: UTF8.self) != nil }
        var random = SplitMix64(seed: seed)
        let count = min(max(0, sample), pool.count)
        for i in 0..<count {
            let j = i + Int(random.next() % UInt64(pool.count - i))
            pool.swapAt(i, j)
        }
        return pool.prefix(count).sorted { $0.path.lexicographicallyPrecedes($1.path) }
    }

    static func seed(_ id: ObjectID) -> UInt64 {
        id.hex.utf8.prefix(16).reduce(UInt64(0)) { ($0 << 4) | UInt64($1 <= 57 ? $1 - 48 : ($1 | 0x20) - 87) }
    }

    /// A glob that matches exactly `path` (each metacharacter escaped).
    static func escapeGlob(_ path: [UInt8]) -> String {
        var out: [UInt8] = []
        for byte in path {
            if byte == UInt8(ascii: "*") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
                || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func makeTemporaryFolder(_ parent: String?) throws -> [UInt8] {
        let base = parent ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/stackbackup-volume-drill-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw VolumeError.system("mkdtemp", path: Array(base.utf8), errno: errno)
        }
        return template.dropLast().map { UInt8(bitPattern: $0) }
    }

    /// Removes a folder and everything in it, making read-only folders writable first. Never throws.
    static func removeTree(_ path: [UInt8]) {
        guard let status = try? FileSystem.lstatus(path) else { return }
        if status.nodeType == .directory {
            _ = FileSystem.withCPath(path) { chmod($0, 0o700) }
            for name in (try? FileSystem.listDirectory(path)) ?? [] { removeTree(FileSystem.join(path, name)) }
            _ = FileSystem.withCPath(path) { rmdir($0) }
        } else {
            _ = FileSystem.withCPath(path) { unlink($0) }
        }
    }
}

/// A `BlobSaver` that only computes ids: re-chunking a restored file gives
/// the ids its content would have, without storing anything.
final class BlobIDSaver: BlobSaver, @unchecked Sendable {
    let repository: Repository
    init(_ repository: Repository) { self.repository = repository }
    func saveBlob(_ type: BlobType, bytes: UnsafeRawBufferPointer) throws -> SavedBlob {
        SavedBlob(id: repository.blobID(for: bytes), isNew: false, storedSize: 0)
    }
}

/// SplitMix64: a tiny deterministic generator for samples that must repeat.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
