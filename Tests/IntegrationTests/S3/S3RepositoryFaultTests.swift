import Foundation
import Testing
import StackBackupKit
import StackBackupTestSupport

/// Whole backups against an S3 server behind a fault-injecting proxy: they
/// complete through the retries, or fail leaving nothing a reader would take
/// for a snapshot.
@Suite("S3 repository under faults", .serialized, .enabled(if: TestS3.isAvailable || TestS3.isCI, "needs moto_server: run bash scripts/install-deps.sh"))
struct S3RepositoryFaultTests {
    struct Rig {
        let through: S3Backend
        let direct: S3Backend
        let proxy: FaultyProxy
        let source: TemporaryDirectory
    }

    /// A folder of a dozen files (some larger than a pack) and both backends of one bucket.
    func rig(_ faults: FaultyProxy.Faults) throws -> Rig? {
        guard let direct = try TestS3.makeBackend(), let port = direct.s3.port else { return nil }
        let proxy = try FaultyProxy(upstreamPort: port, faults: faults)
        var location = direct.s3
        location.port = proxy.port
        var options = TestS3.fastRetries()
        options.requestTimeout = 5
        let through = S3Backend(location: location, credentials: TestS3.credentials, options: options)
        let source = TemporaryDirectory("s3-fault-src")
        for i in 0..<12 {
            try FileTree.writeRandom(source.sub("files/f\(i).bin"), count: (i % 3 == 0 ? 3 << 20 : 200 << 10), seed: UInt64(40 + i))
        }
        return Rig(through: through, direct: direct, proxy: proxy, source: source)
    }

    func backup(_ rig: Rig, into repository: Repository) throws -> VolumeBackupOutcome {
        var request = VolumeBackupRequest(name: "files", path: rig.source.path)
        request.parallelism = 2
        return try VolumeBackupJob.run(request, repository: repository)
    }

    @Test func aBackupThroughTwentyPercentFailedRequestsCompletesAndRestoresIdentically() throws {
        guard let rig = try rig(FaultyProxy.Faults(failureShare: 0.2, status: 500, maxFailuresPerRequest: 3, seed: 3)) else { return }
        defer { rig.proxy.stop() }
        let repository = try TestRepository(backend: rig.through, packSize: 1 << 20)
        let outcome = try backup(rig, into: repository)
        #expect(rig.proxy.injected > 5, "only \(rig.proxy.injected) faults were injected")

        // Read back over the direct connection: the data really is there, whole.
        let reader = try Repository.open(backend: rig.direct, passphrase: Array("test".utf8))
        let report = try Checker().check(repository: reader, readData: .all)
        #expect(report.isClean, "\(report.summary)")
        let target = TemporaryDirectory("s3-fault-restore")
        let restored = try VolumeRestorer(store: reader, tree: outcome.snapshot.root,
                                          options: VolumeRestoreOptions(target: target.sub("out"))).run()
        #expect(restored.errors.isEmpty, "\(restored.errors)")
        #expect(try FileTree.capture(target.sub("out")) == FileTree.capture(rig.source.path))
    }

    @Test func aServerThatStartsFailingMidBackupLeavesNoSnapshotAndOnlyWholeFiles() throws {
        guard let rig = try rig(FaultyProxy.Faults()) else { return }
        defer { rig.proxy.stop() }
        let repository = try TestRepository(backend: rig.through, packSize: 1 << 20)
        let before = rig.proxy.forwarded
        // Once a few packs are through, every request fails.
        let failer = Thread {
            while rig.proxy.forwarded < before + 4 { Thread.sleep(forTimeInterval: 0.002) }
            rig.proxy.faults = FaultyProxy.Faults(failureShare: 1, status: 503)
        }
        failer.start()
        #expect(throws: (any Error).self) { _ = try backup(rig, into: repository) }
        #expect(rig.proxy.injected > 0)

        // Nothing half-written is visible: no snapshot, and every stored file is whole.
        #expect(try rig.direct.list(.snapshot).isEmpty)
        let names = try Checker.checkFileNames(backend: rig.direct)
        #expect(names.isClean, "\(names.summary)")
        // The next backup over a healthy connection succeeds.
        rig.proxy.faults = FaultyProxy.Faults()
        let retry = try Repository.open(backend: rig.through, passphrase: Array("test".utf8))
        let outcome = try backup(rig, into: retry)
        #expect(outcome.snapshotID != nil)
        #expect(try rig.direct.list(.snapshot).count == 1)
    }
}
