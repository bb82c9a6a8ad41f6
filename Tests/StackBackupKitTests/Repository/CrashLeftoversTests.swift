import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite struct CrashLeftoversTests {
    @Test func onlyLocksOfDeadProcessesOnThisHostAndOldTempFilesGo() throws {
        let (repository, backend, directory) = try makeTestRepositoryFolder()
        defer { withExtendedLifetime(directory) {} }
        let now = Date()
        _ = try repository.writeLock(LockInfo(host: HostInfo.hostname, pid: Int32.max, user: "u", command: "backup",
                                                     exclusive: false, created: now, refreshed: now))
        let elsewhere = try repository.writeLock(LockInfo(host: "elsewhere", pid: Int32.max, user: "u", command: "backup",
                                                          exclusive: false, created: now, refreshed: now))
        let mine = try repository.lock(exclusive: false, command: "prune --dry-run")  // alive: kept
        defer { try? mine.release() }
        let old = backend.root + "/index/" + LocalBackend.temporaryPrefix + "0123456789abcdef-1"
        let young = backend.root + "/index/" + LocalBackend.temporaryPrefix + "0123456789abcdef-2"
        for path in [old, young] { try Data(count: 100).write(to: URL(fileURLWithPath: path)) }
        try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-90_000)], ofItemAtPath: old)

        var expected = CrashLeftovers()
        expected.locks = 1
        expected.tempFiles = 1
        expected.tempBytes = 100
        #expect(try repository.removeCrashLeftovers(dryRun: true) == expected)
        #expect(FileManager.default.fileExists(atPath: old))
        #expect(try repository.removeCrashLeftovers() == expected)
        #expect(Set(try backend.list(.lock).map(\.name)) == [elsewhere.hex, mine.id])
        #expect(!FileManager.default.fileExists(atPath: old) && FileManager.default.fileExists(atPath: young))
        #expect(try repository.removeCrashLeftovers() == CrashLeftovers())
    }
}
