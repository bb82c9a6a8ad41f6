import StackBackupKit

/// A fresh repository with cheap scrypt parameters (`KDFParameters.testing`,
/// passed explicitly), in memory unless a backend is given.
public func TestRepository(backend: Backend = MemoryBackend(), passphrase: String = "test",
                           packSize: Int = RepositoryConfig.defaultPackSize) throws -> Repository {
    try Repository.initialize(backend: backend, passphrase: Array(passphrase.utf8), kdf: .testing, packSize: packSize)
}

/// A fresh repository in a new temporary folder on a `LocalBackend`. Keep
/// `directory` alive as long as the repository is used: it is removed on release.
public func makeTestRepositoryFolder(passphrase: String = "test", packSize: Int = RepositoryConfig.defaultPackSize) throws
    -> (repository: Repository, backend: LocalBackend, directory: TemporaryDirectory) {
    let directory = TemporaryDirectory("stackbackup-repo")
    let backend = LocalBackend(path: directory.sub("repo"))
    let repository = try TestRepository(backend: backend, passphrase: passphrase, packSize: packSize)
    return (repository, backend, directory)
}
