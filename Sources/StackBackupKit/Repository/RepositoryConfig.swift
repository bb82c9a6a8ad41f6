// Repository: the on-disk format version 1 (see docs/ARCHITECTURE.md): the
// plaintext config, passphrase-wrapped keys, sealed documents, packs, index
// segments, snapshots and locks, and `Repository`, which ties them together
// as a thread-safe `BlobStore`.

import Foundation

/// The plaintext `config` file: everything needed to read the format, no secrets.
public struct RepositoryConfig: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    /// Packs close once they reach this size.
    public static let defaultPackSize = 16 << 20
    public static let packSizeRange = (64 << 10)...(1 << 30)

    public struct Chunker: Codable, Sendable, Equatable {
        public var volumes: ChunkerParameters
        public var database: ChunkerParameters

        public init(volumes: ChunkerParameters = .volumes, database: ChunkerParameters = .database) {
            self.volumes = volumes
            self.database = database
        }
    }

    public var version: Int
    /// 32 random bytes in hex; names the repository in messages and caches.
    public var id: String
    public var chunker: Chunker
    public var compressionLevel: Int
    public var packSize: Int
    /// Set by `init --copy-chunker-from`: the id of the repository whose id
    /// key and chunker seed this one shares, so blob ids (and dedup) agree
    /// between the two. Absent otherwise.
    public var chunkerSharedWith: String?

    public init(id: String, chunker: Chunker = Chunker(), compressionLevel: Int = 3,
                packSize: Int = RepositoryConfig.defaultPackSize) {
        self.version = Self.currentVersion
        self.id = id
        self.chunker = chunker
        self.compressionLevel = compressionLevel
        self.packSize = packSize
    }

    enum CodingKeys: String, CodingKey {
        case version, id, chunker
        case compressionLevel = "compression_level"
        case packSize = "pack_size"
        case chunkerSharedWith = "chunker_shared_with"
    }

    /// A new config with a random id.
    public static func random(packSize: Int = defaultPackSize) -> RepositoryConfig {
        RepositoryConfig(id: SecureRandom.bytes(32).hexString, packSize: packSize)
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return [UInt8](try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    /// Decodes a `config` file, refusing versions this tool cannot read.
    public static func decode(_ bytes: [UInt8], location: String) throws -> RepositoryConfig {
        struct VersionOnly: Decodable { let version: Int }
        let data = Data(bytes)
        guard let probe = try? JSONDecoder().decode(VersionOnly.self, from: data) else {
            throw IntegrityError(object: "\(location)/config", problem: "is not a valid repository config (no version field)")
        }
        guard probe.version == currentVersion else {
            throw RepositoryError(.unsupportedVersion, "the repository at \(location) has format version \(probe.version); this stackbackup \(StackBackupVersion.current) reads version \(currentVersion) only, use a matching stackbackup release")
        }
        let config: RepositoryConfig
        do {
            config = try JSONDecoder().decode(RepositoryConfig.self, from: data)
        } catch {
            throw IntegrityError(object: "\(location)/config", problem: "is not a valid repository config (\(error))")
        }
        guard packSizeRange.contains(config.packSize), (1...22).contains(config.compressionLevel),
              config.id.utf8.count == 64, [UInt8](hexString: config.id) != nil else {
            throw IntegrityError(object: "\(location)/config", problem: "has out-of-range values (pack_size \(config.packSize), compression_level \(config.compressionLevel))")
        }
        return config
    }
}
