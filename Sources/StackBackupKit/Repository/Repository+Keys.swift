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
                let bytes = try backend.load(Handle(.key, name))
                let file = try KeyFile.decode(bytes, object: "key file keys/\(name)")
                let problem = file.checksumMatches(bytes) == false ? "does not match its checksum: the file is damaged (the master key is still intact when this key opens the repository)" : nil
                return KeyInfo(id: name, created: file.created, host: file.host, user: file.user, isCurrent: name == current, problem: problem)
            } catch {
                return KeyInfo(id: name, created: nil, host: "", user: "", isCurrent: name == current, problem: "\(error)")
            }
        }
    }

    /// Finds the key file `passphrase` opens; returns the master key and the file's id.
    ///
    /// When none opens: if any key file is provably damaged (not valid JSON,
    /// impossible KDF parameters, bytes that do not match its checksum), that
    /// is damage (`IntegrityError`) naming the files; otherwise it is a wrong
    /// passphrase. A key file without a checksum (written before they existed)
    /// cannot tell a flipped salt or ciphertext from a wrong passphrase, and
    /// the message says so.
    static func openMasterKey(backend: Backend, passphrase: [UInt8]) throws -> (MasterKey, String) {
        let names = try backend.list(.key).map(\.name).sorted()
        guard !names.isEmpty else {
            throw IntegrityError(object: "\(backend.location)/keys", problem: "holds no key file, so the repository cannot be opened")
        }
        var damaged: [IntegrityError] = []
        var unchecked: [String] = []
        for name in names {
            let object = "key file keys/\(name)"
            do {
                let bytes = try backend.load(Handle(.key, name))
                let file = try KeyFile.decode(bytes, object: object)
                let intact = file.checksumMatches(bytes)
                // Tried even when the checksum fails: the GCM tag proves the master key,
                // so a flip in `host` or `created` does not lock anyone out.
                if let master = try file.unwrap(passphrase: passphrase, object: object) { return (master, name) }
                switch intact {
                case false?: damaged.append(IntegrityError(object: object, problem: "does not match its checksum: the file is damaged"))
                case nil: unchecked.append("keys/\(name.prefix(12))")
                case true?: break
                }
            } catch let error as IntegrityError {
                damaged.append(error)
            }
        }
        if !damaged.isEmpty {
            let others = names.count - damaged.count
            let rest = others == 0 ? "" : " (or the passphrase fits none of the other \(others) key file(s))"
            let advice = "; restore keys/ from a copy of the repository, or open it with another key's passphrase\(rest)"
            if damaged.count == 1 { throw IntegrityError(object: damaged[0].object, problem: damaged[0].problem + advice) }
            throw IntegrityError(object: "keys/ of \(backend.location)",
                                 problem: "\(damaged.count) key files are damaged (\(damaged.map { "\($0.object) \($0.problem)" }.joined(separator: "; ")))\(advice)")
        }
        let note = unchecked.isEmpty ? "" : " (\(unchecked.joined(separator: ", ")) \(unchecked.count == 1 ? "has" : "have") no checksum, written by an older stackbackup, so damage to \(unchecked.count == 1 ? "it" : "them") would look the same)"
        throw RepositoryError(.wrongPassphrase, "wrong passphrase for repository at \(backend.location): none of its \(names.count) key(s) opens with it\(note); check the passphrase file or environment")
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
