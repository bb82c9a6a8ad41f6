import Foundation

/// One key file as `key list` shows it.
public struct KeyInfo: Sendable, Codable, Equatable {
    public let id: String
    public let created: Date?
    public let host: String
    public let user: String
    /// Whether this session opened the repository with this key.
    public let isCurrent: Bool
    /// Set when the key file does not decode.
    public let problem: String?
}

extension Repository {
    /// The id of the key file this session opened the repository with.
    public var currentKey: String { mutex.withLock { currentKeyID } }

    public func listKeys() throws -> [KeyInfo] {
        let current = currentKey
        return try backend.list(.key).map(\.name).sorted().map { name in
            do {
                let file = try KeyFile.decode(backend.load(Handle(.key, name)), object: "key file keys/\(name)")
                return KeyInfo(id: name, created: file.created, host: file.host, user: file.user, isCurrent: name == current, problem: nil)
            } catch {
                return KeyInfo(id: name, created: nil, host: "", user: "", isCurrent: name == current, problem: "\(error)")
            }
        }
    }

    /// Adds a key file for another passphrase; returns its id.
    public func addKey(passphrase: [UInt8], kdf: KDFParameters = .default) throws -> String {
        guard !passphrase.isEmpty else {
            throw RepositoryError(.invalidArgument, "the new passphrase is empty; give a non-empty passphrase")
        }
        let file = try KeyFile.make(master: key, passphrase: passphrase, kdf: kdf)
        let id = SecureRandom.bytes(32).hexString
        try backend.save(Handle(.key, id), file.encoded())
        return id
    }

    /// Removes a key file by id or unique prefix; refuses the key in use and the last key.
    public func removeKey(_ id: String) throws {
        let names = try backend.list(.key).map(\.name)
        let matches = names.filter { $0.hasPrefix(id.lowercased()) }
        guard !id.isEmpty, matches.count == 1, let name = matches.first else {
            if matches.count > 1 {
                throw RepositoryError(.ambiguous, "\(matches.count) keys have ids starting with \(id); give more digits")
            }
            throw RepositoryError(.notFound, "there is no key \(id) in \(backend.location); run `stackbackup key list`")
        }
        guard name != currentKey else {
            throw RepositoryError(.invalidArgument, "key \(name.prefix(8)) is the one this session opened the repository with; open it with another key's passphrase to remove this one")
        }
        guard names.count > 1 else {
            throw RepositoryError(.invalidArgument, "key \(name.prefix(8)) is the repository's last key; add another key first")
        }
        try backend.remove(Handle(.key, name))
    }

    /// Replaces the current key with one for a new passphrase: the new key is
    /// stored before the old one is removed.
    public func changePassphrase(to passphrase: [UInt8], kdf: KDFParameters = .default) throws {
        let old = currentKey
        let new = try addKey(passphrase: passphrase, kdf: kdf)
        mutex.withLock { currentKeyID = new }
        try backend.remove(Handle(.key, old))
    }
}
