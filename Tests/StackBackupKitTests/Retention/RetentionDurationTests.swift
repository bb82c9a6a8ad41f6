import Foundation
import Testing
@testable import StackBackupKit

@Suite struct RetentionDurationTests {
    @Test(arguments: [
        ("10d", RetentionDuration(days: 10)), ("2w", RetentionDuration(weeks: 2)),
        ("6m", RetentionDuration(months: 6)), ("1y", RetentionDuration(years: 1)),
        ("12h", RetentionDuration(hours: 12)), ("1y6m", RetentionDuration(years: 1, months: 6)),
        ("1y2m3w4d5h", RetentionDuration(years: 1, months: 2, weeks: 3, days: 4, hours: 5)),
    ])
    func parsesResticStyleDurations(text: String, expected: RetentionDuration) {
        #expect(RetentionDuration(text) == expected)
        #expect(RetentionDuration(text)?.description == text)
    }

    @Test(arguments: ["", "10", "d", "10x", "-3d", "1.5d", "10 d x", "9999999d", "1y6"])
    func rejectsMalformedDurations(text: String) {
        #expect(RetentionDuration(text) == nil)
    }

    @Test func subtractsMonthsAsGoAddDateDoesWithDayOverflow() {
        // 31 March minus one month is "31 February", which rolls over to 3 March.
        let limit = RetentionDuration(months: 1).subtracted(from: instant("2021-03-31 12:00:00"), timeZone: berlin)
        #expect(limit == instant("2021-03-03 12:00:00"))
        // 29 February 2024 minus a year is "29 February 2023", i.e. 1 March 2023.
        let leap = RetentionDuration(years: 1).subtracted(from: instant("2024-02-29 08:00:00"), timeZone: berlin)
        #expect(leap == instant("2023-03-01 08:00:00"))
    }

    @Test func keepsTheWallClockTimeAcrossSummerTimeAndSubtractsHoursAsElapsedTime() {
        // From CEST back into CET: the same wall-clock time, 24 h + 1 h elapsed.
        let from = instant("2020-10-26 12:00:00")
        #expect(RetentionDuration(days: 1).subtracted(from: from, timeZone: berlin) == instant("2020-10-25 12:00:00"))
        #expect(RetentionDuration(days: 2).subtracted(from: from, timeZone: berlin).timeIntervalSince(from) == -(49 * 3600))
        #expect(RetentionDuration(hours: 48).subtracted(from: from, timeZone: berlin).timeIntervalSince(from) == -(48 * 3600))
        // Weeks are seven days.
        #expect(RetentionDuration(weeks: 2).subtracted(from: from, timeZone: berlin) == instant("2020-10-12 12:00:00"))
    }

    @Test func roundTripsThroughJSON() throws {
        let policy = RetentionPolicy(keepDaily: 7, keepWithin: RetentionDuration("1y6m"), keepTags: ["manual"])
        let data = try JSONEncoder().encode(policy)
        #expect(String(decoding: data, as: UTF8.self).contains("\"keep_within\":\"1y6m\""))
        #expect(try JSONDecoder().decode(RetentionPolicy.self, from: data) == policy)
    }
}
