import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite struct AutoSliceTests {
    static func packIDs(_ count: Int, seed: UInt64) -> [ObjectID] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in ObjectID(bytes: random.bytes(32))! }
    }

    @Test(arguments: [0, 20_000, 20_413, -3])
    func sevenConsecutiveDaysReadEveryPackExactlyOnce(startDay: Int) {
        let packs = Self.packIDs(700, seed: 3)
        var reads: [ObjectID: Int] = [:]
        for day in startDay..<(startDay + 7) {
            for pack in AutoSlice.select(packs: packs, repositoryID: "5f2a", day: day) { reads[pack, default: 0] += 1 }
        }
        #expect(reads.count == packs.count)
        #expect(reads.values.allSatisfy { $0 == 1 })
    }

    @Test func twoMachinesPickTheSameSliceAndRepositoriesDiffer() {
        let a = (0..<7).map { AutoSlice.sliceIndex(repositoryID: "repo-a", day: 20_000 + $0) }
        #expect(a == (0..<7).map { AutoSlice.sliceIndex(repositoryID: "repo-a", day: 20_000 + $0) })
        #expect(Set(a).count == 7)
        let shifted = (0..<20).map { "repo-\($0)" }.map { AutoSlice.sliceIndex(repositoryID: $0, day: 20_000) }
        #expect(Set(shifted).count > 1)
    }

    @Test func theDayTurnsAtLocalMidnight() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let lateUTC = Date(timeIntervalSince1970: 86_400 * 20_000 + 23 * 3600 + 30 * 60)  // 23:30 UTC = 00:30 next day in Berlin
        #expect(AutoSlice.day(of: lateUTC, timeZone: TimeZone(identifier: "UTC")!) == 20_000)
        #expect(AutoSlice.day(of: lateUTC, timeZone: berlin) == 20_001)
    }

    @Test func sevenNightlyChecksOfARepositoryReadEveryPackAndReportBytesRead() throws {
        let repository = try TestRepository(packSize: 64 << 10)
        var random = SeededRandom(seed: 8)
        for _ in 0..<30 { _ = try repository.saveBlob(.data, bytes: random.bytes(40_000)) }
        try repository.flush()
        let allPacks = repository.currentIndex.allPacks
        #expect(allPacks.count >= 10)
        var packsRead = 0, bytesRead: Int64 = 0, slices: Set<Int> = []
        for day in 30_000..<30_007 {
            let report = try Checker().check(repository: repository, readData: .auto(day: day))
            #expect(report.isClean)
            packsRead += report.packsRead
            bytesRead += report.bytesRead
            slices.insert(try #require(report.readSlice))
            #expect(report.readSlices == 7)
        }
        #expect(packsRead == allPacks.count)
        #expect(bytesRead == allPacks.reduce(0) { $0 + Int64($1.size) })
        #expect(slices.count == 7)
    }
}
