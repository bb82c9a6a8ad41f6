import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite struct RepositoryBlobTests {
    @Test(arguments: BlobType.allCases)
    func blobsOfEveryTypeRoundTrip(type: BlobType) throws {
        let repository = try TestRepository()
        var random = SeededRandom(seed: 7)
        let samples: [[UInt8]] = [[], [42], random.bytes(1000), [UInt8](repeating: 65, count: 100_000), random.bytes(300_000)]
        var ids: [ObjectID] = []
        for sample in samples {
            let saved = try repository.saveBlob(type, bytes: sample)
            #expect(saved.isNew)
            ids.append(saved.id)
        }
        try repository.flush()
        for (sample, id) in zip(samples, ids) {
            #expect(try repository.loadBlob(type, id: id) == sample)
            #expect(repository.hasBlob(type, id: id))
        }
        #expect(!repository.hasBlob(type == .data ? .tree : .data, id: ids[2]))
    }

    @Test func aTwentyMegabyteBlobRoundTrips() throws {
        let repository = try TestRepository()
        var random = SeededRandom(seed: 20)
        let big = random.bytes(20 << 20)
        let saved = try repository.saveBlob(.data, bytes: big)
        try repository.flush()
        #expect(try repository.loadBlob(.data, id: saved.id) == big)
        #expect(saved.storedSize == big.count + AESGCM.tagSize)
    }

    @Test func compressibleBlobsAreStoredSmaller() throws {
        let repository = try TestRepository()
        let text = [UInt8](String(repeating: "INSERT INTO t VALUES (1, 'hello');\n", count: 5000).utf8)
        let saved = try repository.saveBlob(.data, bytes: text)
        #expect(saved.storedSize < text.count / 4)
        try repository.flush()
        #expect(try repository.loadBlob(.data, id: saved.id) == text)
    }

    @Test func theSameBlobTwiceIsStoredOnce() throws {
        let backend = MemoryBackend()
        let repository = try TestRepository(backend: backend)
        var random = SeededRandom(seed: 1)
        let bytes = random.bytes(50_000)
        let first = try repository.saveBlob(.data, bytes: bytes)
        let second = try repository.saveBlob(.data, bytes: bytes)
        #expect(first.isNew && !second.isNew)
        #expect(first.id == second.id && second.storedSize == 0)
        try repository.flush()
        let third = try repository.saveBlob(.data, bytes: bytes)
        #expect(!third.isNew)
        try repository.flush()
        let packBytes = try backend.list(.pack).reduce(0) { $0 + $1.size }
        #expect(packBytes < 2 * bytes.count)
        #expect(repository.stats.blobsAdded == 1)
        #expect(repository.stats.blobsDeduplicated == 2)
        // A blob of another type with the same content is a different blob.
        #expect(try repository.saveBlob(.tree, bytes: bytes).isNew)
    }

    @Test func anUnknownBlobIsNotFound() throws {
        let repository = try TestRepository()
        #expect {
            _ = try repository.loadBlob(.data, id: ObjectID.zero)
        } throws: { ($0 as? RepositoryError)?.code == .notFound }
    }

    @Test func smallPacksCloseAtThePackSizeAndWriteIndexSegments() throws {
        let backend = MemoryBackend()
        let repository = try TestRepository(backend: backend, packSize: 64 << 10)
        var random = SeededRandom(seed: 3)
        var saved: [(ObjectID, [UInt8])] = []
        for _ in 0..<200 {
            let bytes = random.bytes(40_000)
            saved.append((try repository.saveBlob(.data, bytes: bytes).id, bytes))
        }
        try repository.flush()
        #expect(try backend.list(.pack).count == 100)
        #expect(try backend.list(.index).count == 4)  // 3 full segments of 32 packs + the rest
        #expect(repository.stats.packsWritten == 100)
        let reopened = try Repository.open(backend: backend, passphrase: Array("test".utf8))
        for (id, bytes) in saved { #expect(try reopened.loadBlob(.data, id: id) == bytes) }
    }

    @Test func fourThreadsSaveTwoThousandBlobsInParallel() throws {
        let backend = MemoryBackend()
        let repository = try TestRepository(backend: backend, packSize: 256 << 10)
        let perThread = 500
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            var random = SeededRandom(seed: UInt64(thread % 2))  // threads 0/2 and 1/3 save the same blobs
            for i in 0..<perThread {
                let bytes = random.bytes(1000 + i * 7) + [UInt8(thread % 2)]
                do {
                    let saved = try repository.saveBlob(.data, bytes: bytes)
                    results.add(saved.id, bytes, isNew: saved.isNew)
                } catch {
                    results.fail(error)
                }
            }
        }
        #expect(results.errors.isEmpty)
        try repository.flush()
        #expect(results.newCount == 1000)
        let reopened = try Repository.open(backend: backend, passphrase: Array("test".utf8))
        #expect(reopened.currentIndex.blobCount == 1000)
        for (id, bytes) in results.saved { #expect(try reopened.loadBlob(.data, id: id) == bytes) }
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var saved: [ObjectID: [UInt8]] = [:]
    private(set) var newCount = 0
    private(set) var errors: [String] = []

    func add(_ id: ObjectID, _ bytes: [UInt8], isNew: Bool) {
        lock.withLock {
            saved[id] = bytes
            if isNew { newCount += 1 }
        }
    }

    func fail(_ error: Error) { lock.withLock { errors.append("\(error)") } }
}
