import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite struct KeyTests {
    @Test func twoKeysOpenTheSameRepositoryAndRemovingOneKeepsTheOther() throws {
        let backend = MemoryBackend()
        let repository = try TestRepository(backend: backend, passphrase: "first")
        let dataID = try repository.saveBlob(.data, bytes: [7, 7, 7]).id
        try repository.flush()
        let second = try repository.addKey(passphrase: Array("second".utf8), kdf: .testing)
        let keys = try repository.listKeys()
        #expect(keys.count == 2)
        #expect(keys.filter(\.isCurrent).map(\.id) == [repository.currentKey])

        let viaSecond = try Repository.open(backend: backend, passphrase: Array("second".utf8))
        #expect(viaSecond.currentKey == second)
        #expect(try viaSecond.loadBlob(.data, id: dataID) == [7, 7, 7])
        #expect { try viaSecond.removeKey(second) } throws: { ($0 as? RepositoryError)?.code == .invalidArgument }
        try viaSecond.removeKey(repository.currentKey)
        #expect { _ = try Repository.open(backend: backend, passphrase: Array("first".utf8)) } throws: {
            ($0 as? RepositoryError)?.code == .wrongPassphrase
        }
        #expect(try Repository.open(backend: backend, passphrase: Array("second".utf8)).loadBlob(.data, id: dataID) == [7, 7, 7])
    }

    @Test func theLastKeyCannotBeRemoved() throws {
        let backend = MemoryBackend()
        let repository = try TestRepository(backend: backend)
        let other = try repository.addKey(passphrase: Array("x".utf8), kdf: .testing)
        try repository.removeKey(other)
        #expect(try repository.listKeys().count == 1)
        #expect { try repository.removeKey(repository.currentKey) } throws: { ($0 as? RepositoryError)?.code == .invalidArgument }
    }

    @Test func changingThePassphraseReplacesTheKey() throws {
        let backend = MemoryBackend()
        let repository = try TestRepository(backend: backend, passphrase: "old")
        let oldKey = repository.currentKey
        try repository.changePassphrase(to: Array("new".utf8), kdf: .testing)
        #expect(repository.currentKey != oldKey)
        #expect(try repository.listKeys().map(\.id) == [repository.currentKey])
        #expect(try Repository.open(backend: backend, passphrase: Array("new".utf8)).config == repository.config)
        #expect { _ = try Repository.open(backend: backend, passphrase: Array("old".utf8)) } throws: {
            ($0 as? RepositoryError)?.code == .wrongPassphrase
        }
    }
}

@Suite struct SnapshotTests {
    func snapshot(_ source: String, _ seconds: Double, root: ObjectID = .zero) -> Snapshot {
        Snapshot(time: Date(timeIntervalSince1970: 1_700_000_000 + seconds), host: "nas", kind: .volume, source: source, root: root)
    }

    @Test func snapshotsListInTimeOrderAndResolveByPrefixAndLatest() throws {
        let repository = try TestRepository()
        let a = try repository.saveSnapshot(snapshot("media", 10))
        let b = try repository.saveSnapshot(snapshot("umami", 20.5))
        let c = try repository.saveSnapshot(snapshot("media", 20.25))
        let list = try repository.listSnapshots()
        #expect(list.snapshots.map(\.id) == [a, c, b])
        #expect(list.damaged.isEmpty)
        #expect(try repository.resolveSnapshot("latest").id == b)
        #expect(try repository.resolveSnapshot("media:latest").id == c)
        #expect(try repository.resolveSnapshot("latest", source: "media").id == c)
        #expect(try repository.latestSnapshot(source: "umami")?.id == b)
        #expect(try repository.latestSnapshot(source: "none") == nil)
        #expect(try repository.resolveSnapshot(String(a.hex.prefix(12))).id == a)
        #expect { _ = try repository.resolveSnapshot("abc") } throws: { ($0 as? RepositoryError)?.code == .invalidArgument }
        #expect { _ = try repository.resolveSnapshot("nothing:latest") } throws: { ($0 as? RepositoryError)?.code == .notFound }
        try repository.removeSnapshot(a)
        #expect(try repository.listSnapshots().snapshots.count == 2)
    }

    @Test func anAmbiguousPrefixSaysSo() throws {
        let repository = try TestRepository()
        // Save snapshots until two share a 4-digit prefix (a birthday collision, certain well before 2000).
        var seen: [Substring: ObjectID] = [:]
        var shared: Substring?
        for i in 0..<2000 where shared == nil {
            let id = try repository.saveSnapshot(snapshot("s", Double(i)))
            if seen[id.hex.prefix(4)] != nil { shared = id.hex.prefix(4) }
            seen[id.hex.prefix(4)] = id
        }
        let prefix = try #require(shared)
        #expect { _ = try repository.resolveSnapshot(String(prefix)) } throws: { ($0 as? RepositoryError)?.code == .ambiguous }
        #expect { _ = try repository.resolveSnapshot("zzzz") } throws: { ($0 as? RepositoryError)?.code == .invalidArgument }
    }

    @Test func aGarbageSnapshotFileIsListedAsDamaged() throws {
        let backend = MemoryBackend()
        let repository = try TestRepository(backend: backend)
        let good = try repository.saveSnapshot(snapshot("media", 1))
        let garbage = Array("garbage".utf8)
        try backend.save(Handle(.snapshot, SHA256.hash(garbage)), garbage)
        let reopened = try Repository.open(backend: backend, passphrase: Array("test".utf8))
        let list = try reopened.listSnapshots()
        #expect(list.snapshots.map(\.id) == [good])
        #expect(list.damaged.map(\.name) == [SHA256.hash(garbage).hex])
        #expect(throws: IntegrityError.self) { _ = try reopened.loadSnapshot(SHA256.hash(garbage)) }
    }
}
