import Foundation
import Testing
import StackBackupKit
import StackBackupTestSupport

/// Throughput of archive and restore on ~1 GB of random data, against the
/// in-memory store. Runs only with STACKBACKUP_BENCH=1 (use a release build:
/// `swift test -c release -Xswiftc -enable-testing --filter VolumeThroughputTests`).
@Suite("Volume throughput", .enabled(if: ProcessInfo.processInfo.environment["STACKBACKUP_BENCH"] == "1"))
struct VolumeThroughputTests {
    @Test func archiveAndRestoreOfOneGigabyte() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.sub("src"), withIntermediateDirectories: true)
        for i in 0..<8 {
            try VolumeFixtures.writeRandomFile(dir.sub("src/file\(i).bin"), size: 128 << 20, seed: UInt64(i))
        }
        let store = MemoryBlobStore()
        let t0 = Date()
        let result = try VolumeArchiver(store: store, options: VolumeFixtures.options()).archive(path: dir.sub("src"), parentTree: nil)
        let archiveSeconds = Date().timeIntervalSince(t0)
        let t1 = Date()
        let restored = try VolumeRestorer(store: store, tree: result.tree, options: VolumeRestoreOptions(target: dir.sub("dst"))).run()
        let restoreSeconds = Date().timeIntervalSince(t1)
        let t2 = Date()
        let rerun = try VolumeArchiver(store: store, options: VolumeFixtures.options()).archive(path: dir.sub("src"), parentTree: result.tree)
        let rerunSeconds = Date().timeIntervalSince(t2)
        #expect(restored.errors.isEmpty)
        #expect(rerun.stats.bytesRead == 0)
        let mb = Double(result.stats.bytesRead) / 1_048_576
        print(String(format: "BENCH archive %.0f MiB in %.2f s = %.0f MiB/s; restore %.2f s = %.0f MiB/s; no-change rerun %.3f s",
                     mb, archiveSeconds, mb / archiveSeconds, restoreSeconds, mb / restoreSeconds, rerunSeconds))
    }
}
