import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// `restore WHAT`: a source name, an id prefix or SOURCE:latest.
@Suite struct SnapshotSpecTests {
    func snapshot(_ source: String, _ seconds: Double) -> Snapshot {
        Snapshot(time: Date(timeIntervalSince1970: 1_700_000_000 + seconds), host: "nas", kind: .volume, source: source, root: .zero)
    }

    @Test func aSourceNameMeansItsLatestSnapshot() throws {
        let repository = try TestRepository()
        _ = try repository.saveSnapshot(snapshot("media", 1))
        let newer = try repository.saveSnapshot(snapshot("media", 2))
        _ = try repository.saveSnapshot(snapshot("umami", 3))
        #expect(try repository.resolveSnapshotOrSource("media").id == newer)
        #expect(try repository.resolveSnapshotOrSource("media:latest").id == newer)
    }

    @Test func anIdPrefixFindsItsSnapshot() throws {
        let repository = try TestRepository()
        let id = try repository.saveSnapshot(snapshot("media", 1))
        _ = try repository.saveSnapshot(snapshot("media", 2))
        #expect(try repository.resolveSnapshotOrSource(String(id.hex.prefix(10))).id == id)
    }

    @Test func aWordThatIsNeitherSourceNorIdSaysSo() throws {
        let repository = try TestRepository()
        _ = try repository.saveSnapshot(snapshot("media", 1))
        #expect { _ = try repository.resolveSnapshotOrSource("nothing") } throws: { error in
            guard let error = error as? RepositoryError else { return false }
            return error.code == .notFound && "\(error)".contains("no snapshot or source named 'nothing'")
        }
        // SOURCE:latest keeps resolveSnapshot's own message.
        #expect { _ = try repository.resolveSnapshotOrSource("nothing:latest") } throws: {
            ($0 as? RepositoryError)?.code == .notFound && !"\($0)".contains("no snapshot or source named")
        }
    }

    @Test func anUnreadableSnapshotDocumentIsNamedInsteadOfNotFound() throws {
        let backend = MemoryBackend()
        let repository = try TestRepository(backend: backend)
        _ = try repository.saveSnapshot(snapshot("media", 1))
        let garbage = Array("garbage".utf8)
        try backend.save(Handle(.snapshot, SHA256.hash(garbage)), garbage)
        let reopened = try Repository.open(backend: backend, passphrase: Array("test".utf8))
        #expect(throws: IntegrityError.self) { _ = try reopened.resolveSnapshotOrSource("umami") }
        #expect(try reopened.resolveSnapshotOrSource("media").snapshot.source == "media")
    }
}
