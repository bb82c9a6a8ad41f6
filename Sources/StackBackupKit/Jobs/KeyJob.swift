import Foundation

/// `key add|remove|passwd`: each changes the key files under an exclusive
/// lock, so no other process opens the repository with a key being replaced.
/// The new passphrase is asked for once the lock is held.
public enum KeyJob {
    public static func add(repository: Repository, passphrase: () throws -> [UInt8], kdf: KDFParameters = .default) throws -> String {
        let lock = try repository.lock(exclusive: true, command: "key add")
        defer { try? lock.release() }
        return try repository.addKey(passphrase: try passphrase(), kdf: kdf)
    }

    public static func remove(_ id: String, repository: Repository) throws {
        let lock = try repository.lock(exclusive: true, command: "key remove")
        defer { try? lock.release() }
        try repository.removeKey(id)
    }

    public static func changePassphrase(repository: Repository, to passphrase: () throws -> [UInt8], kdf: KDFParameters = .default) throws {
        let lock = try repository.lock(exclusive: true, command: "key passwd")
        defer { try? lock.release() }
        try repository.changePassphrase(to: try passphrase(), kdf: kdf)
    }
}
