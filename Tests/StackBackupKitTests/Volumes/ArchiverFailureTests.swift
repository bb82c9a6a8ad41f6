import Foundation
@testable import StackBackupKit
import StackBackupTestSupport
import Testing

/// The error a backup reports is the one that stopped it: a store failure
/// on a reading worker, or the job's cancellation — never a bare
/// `CancellationError` from the walker that the failure stopped.
@Suite struct ArchiverFailureTests {
    /// Fails every save after the first `allowed` with an I/O-like error.
    final class FailingStore: BlobStore, @unchecked Sendable {
        struct DiskFull: Error, CustomStringConvertible { var description: String { "pack write failed: No space left on device" } }
        let inner = MemoryBlobStore()
        let allowed: Int
        private let lock = NSLock()
        private var saves = 0

        init(allowed: Int) { self.allowed = allowed }

        func saveBlob(_ type: BlobType, bytes: UnsafeRawBufferPointer) throws -> SavedBlob {
            let n = lock.withLock { saves += 1; return saves }
            if n > allowed { throw DiskFull() }
            return try inner.saveBlob(type, bytes: bytes)
        }
        func loadBlob(_ type: BlobType, id: ObjectID) throws -> [UInt8] { try inner.loadBlob(type, id: id) }
        func hasBlob(_ type: BlobType, id: ObjectID) -> Bool { inner.hasBlob(type, id: id) }
    }

    private func manyFiles() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory()
        for folder in 0..<40 {
            for file in 0..<25 { _ = try dir.write("f\(folder)/sub/file \(file).txt", "content \(folder) \(file)\n") }
        }
        return dir
    }

    @Test func aStoreFailureOnAWorkerIsTheErrorReported() throws {
        let dir = try manyFiles()
        let archiver = VolumeArchiver(store: FailingStore(allowed: 5), options: VolumeFixtures.options(parallelism: 2))
        do {
            _ = try archiver.archive(path: dir.path, parentTree: nil)
            Issue.record("the backup succeeded although the store failed")
        } catch {
            #expect(error is FailingStore.DiskFull, "reported \(type(of: error)): \(error)")
        }
    }

    @Test func aCancelledBackupReportsTheInterruption() throws {
        let dir = try manyFiles()
        let token = Cancellation()
        var options = VolumeFixtures.options(parallelism: 2)
        options.cancellation = token
        token.cancel(.signal(SIGTERM))
        do {
            _ = try VolumeArchiver(store: MemoryBlobStore(), options: options).archive(path: dir.path, parentTree: nil)
            Issue.record("a cancelled backup succeeded")
        } catch let error as InterruptedError {
            #expect(error.reason == .signal(SIGTERM))
        }
    }
}
