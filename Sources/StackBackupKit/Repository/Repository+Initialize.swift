import Foundation

extension Repository {
    /// Makes `backend` ready to hold a new repository: an S3 bucket that does
    /// not exist yet is created (a bucket that exists is left alone); a folder
    /// is created by `initialize` itself. Throws when the location already
    /// holds a repository or any other repository file.
    public static func prepareEmptyLocation(_ backend: Backend) throws {
        // `initialize` creates such a location and refuses a non-empty one itself.
        if backend.createsRepositoryLayout { return }
        do {
            _ = try backend.list(.config)
        } catch let error as BackendError where error.code == .notFound {
            try backend.createMissingLocation(after: error)
        }
        if try backend.exists(Handle(.config, "config")) {
            throw RepositoryError(.notEmpty, "\(backend.location) already holds a repository; give an empty or new location, or use it with --repo")
        }
    }

    /// Creates a repository that shares `source`'s id key, chunker seed and
    /// chunker parameters (`init --copy-chunker-from`), with its own random
    /// encryption key and its own passphrase. Blob ids are then equal in both
    /// repositories, so `copy` moves trees and manifests unchanged and each
    /// side deduplicates against data the other already chunked. The new
    /// config records the source's id in `chunker_shared_with`.
    public static func initialize(backend: Backend, passphrase: [UInt8], kdf: KDFParameters = .default,
                                  packSize: Int? = nil, sharingChunkerWith source: Repository) throws -> Repository {
        let size = packSize ?? source.config.packSize
        guard RepositoryConfig.packSizeRange.contains(size) else {
            throw RepositoryError(.invalidArgument, "pack size \(size) is out of range; use 64 KiB to 1 GiB")
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
        let shared = source.masterKey
        let key = MasterKey(encKey: SecretBytes.random(32),
                            idKey: SecretBytes(shared.idKey.bytes),
                            chunkerSeed: SecretBytes(shared.chunkerSeed.bytes))
        var config = RepositoryConfig(id: SecureRandom.bytes(32).hexString, chunker: source.config.chunker,
                                      compressionLevel: source.config.compressionLevel, packSize: size)
        config.chunkerSharedWith = source.config.id
        let keyFile = try KeyFile.make(master: key, passphrase: passphrase, kdf: kdf)
        let keyID = SecureRandom.bytes(32).hexString
        // Key first, config last: a location without config is no repository.
        try backend.save(Handle(.key, keyID), keyFile.encoded())
        try backend.save(Handle(.config, "config"), config.encoded())
        return try Repository(backend: backend, config: config, key: key, keyID: keyID)
    }

    /// Whether blob ids in this repository equal those in `other` (same id
    /// key): true for repositories made with `init --copy-chunker-from`.
    public func sharesBlobIDs(with other: Repository) -> Bool {
        key.idKey.constantTimeEquals(other.masterKey.idKey)
    }
}
