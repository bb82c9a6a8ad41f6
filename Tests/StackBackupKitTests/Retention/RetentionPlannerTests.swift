import Foundation
import Testing
@testable import StackBackupKit

/// Builds instants from wall-clock readings in a zone, for readable fixtures.
func instant(_ text: String, _ zone: String = "Europe/Berlin") -> Date {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: zone)
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    guard let date = formatter.date(from: text) else { fatalError("bad fixture time \(text)") }
    return date
}

let berlin = TimeZone(identifier: "Europe/Berlin")!
let utc = TimeZone(identifier: "UTC")!

/// Kept decisions rendered as "id reason, reason" (the golden form).
func kept(_ decisions: [RetentionDecision]) -> [String] {
    decisions.filter(\.keep).map { "\($0.id) " + $0.reasons.joined(separator: ", ") }
}

@Suite struct RetentionPlannerTests {
    /// 90 days × 2 snapshots a day from 2026-08-23 (Berlin): 03:mm tagged
    /// "nightly", and an afternoon one whose hour wanders from 13 to 21.
    /// It crosses the end of summer time on 2026-10-25.
    static let timeline: [RetentionCandidate] = {
        var result: [RetentionCandidate] = []
        let start = CivilDate(year: 2026, month: 8, day: 23).daysSinceEpoch
        for d in 0..<90 {
            let civil = CivilDate(daysSinceEpoch: start + d)
            let day = "\(civil.year)-\(civil.month < 10 ? "0" : "")\(civil.month)-\(civil.day < 10 ? "0" : "")\(civil.day)"
            let minute = (d * 7) % 60
            let pm = 13 + d % 9
            let times = [("\(day) 03:\(minute < 10 ? "0" : "")\(minute):00", ["nightly"]), ("\(day) \(pm):15:00", [])]
            for (time, tags) in times {
                let id = String(format: "s%03d", result.count)
                result.append(RetentionCandidate(id: id, time: instant(time), tags: tags))
            }
        }
        return result
    }()

    static let now = instant("2026-11-21 12:00:00")

    // Golden decisions below were cross-checked against an independent
    // implementation using Python's zoneinfo and date.isocalendar().

    @Test func keepsDailyWeeklyMonthlyAsResticDoes() {
        let policy = RetentionPolicy(keepDaily: 7, keepWeekly: 4, keepMonthly: 3)
        let decisions = RetentionPlanner.apply(policy, to: Self.timeline.shuffled(), now: Self.now, timeZone: berlin)
        #expect(decisions.count == 180)
        #expect(decisions.map(\.id) == Self.timeline.map(\.id).reversed(), "decisions come newest first")
        #expect(kept(decisions) == [
            "s179 daily 2026-11-20, weekly 2026-W47, monthly 2026-11",
            "s177 daily 2026-11-19",
            "s175 daily 2026-11-18",
            "s173 daily 2026-11-17",
            "s171 daily 2026-11-16",
            "s169 daily 2026-11-15, weekly 2026-W46",
            "s167 daily 2026-11-14",
            "s155 weekly 2026-W45",
            "s141 weekly 2026-W44",
            "s139 monthly 2026-10",
            "s077 monthly 2026-09",
        ])
        #expect(decisions.filter { !$0.keep }.allSatisfy { $0.reasons.isEmpty })
    }

    @Test func keepsLastHourlyAndYearly() {
        let policy = RetentionPolicy(keepLast: 3, keepHourly: 4, keepYearly: 1)
        let decisions = RetentionPlanner.apply(policy, to: Self.timeline, now: Self.now, timeZone: berlin)
        #expect(kept(decisions) == [
            "s179 last, hourly 2026-11-20 21h, yearly 2026",
            "s178 last, hourly 2026-11-20 03h",
            "s177 last, hourly 2026-11-19 20h",
            "s176 hourly 2026-11-19 03h",
        ])
    }

    @Test func keepsEverySnapshotCarryingAKeptTag() {
        let policy = RetentionPolicy(keepWeekly: 2, keepTags: ["nightly"])
        let decisions = RetentionPlanner.apply(policy, to: Self.timeline, now: Self.now, timeZone: berlin)
        let rendered = kept(decisions)
        #expect(rendered.count == 92)
        #expect(Array(rendered.prefix(3)) == ["s179 weekly 2026-W47", "s178 tag nightly", "s176 tag nightly"])
    }

    @Test func tagListsNeedEveryTagOfTheList() {
        let candidates = [
            RetentionCandidate(id: "a", time: instant("2026-01-03 10:00:00"), tags: ["db", "manual"]),
            RetentionCandidate(id: "b", time: instant("2026-01-02 10:00:00"), tags: ["db"]),
            RetentionCandidate(id: "c", time: instant("2026-01-01 10:00:00"), tags: ["manual", "db", "x"]),
        ]
        let decisions = RetentionPlanner.apply(RetentionPolicy(keepTags: ["manual,db"]), to: candidates,
                                               now: instant("2026-02-01 00:00:00"), timeZone: berlin)
        #expect(kept(decisions) == ["a tag manual,db", "c tag manual,db"])
    }

    @Test func keepWithinCountsBackFromTheNewestSnapshot() {
        let policy = RetentionPolicy(keepWithin: RetentionDuration("10d"))
        let decisions = RetentionPlanner.apply(policy, to: Self.timeline, now: instant("2027-06-01 00:00:00"), timeZone: berlin)
        let keptIDs = decisions.filter(\.keep).map(\.id)
        // Newest is 2026-11-20 21:15; the limit is 2026-11-10 21:15, so day 80 (11-11) onwards.
        #expect(keptIDs == (160...179).reversed().map { String(format: "s%03d", $0) })
        #expect(decisions.first?.reasons == ["within 10d"])
    }

    @Test func keepWithinIgnoresSnapshotsAfterNow() {
        let candidates = [
            RetentionCandidate(id: "future", time: instant("2030-01-01 00:00:00")),
            RetentionCandidate(id: "recent", time: instant("2026-03-10 00:00:00")),
            RetentionCandidate(id: "older", time: instant("2026-03-05 00:00:00")),
            RetentionCandidate(id: "old", time: instant("2026-02-01 00:00:00")),
        ]
        let decisions = RetentionPlanner.apply(RetentionPolicy(keepWithin: RetentionDuration("1w")), to: candidates,
                                               now: instant("2026-03-11 00:00:00"), timeZone: berlin)
        #expect(kept(decisions) == ["future within 1w", "recent within 1w", "older within 1w"])
    }

    @Test func alwaysKeepsTheNewestEvenUnderAnEmptyPolicy() {
        let decisions = RetentionPlanner.apply(RetentionPolicy(), to: Self.timeline, now: Self.now, timeZone: berlin)
        #expect(kept(decisions) == ["s179 newest"])
        #expect(RetentionPolicy().isEmpty)
        #expect(RetentionPlanner.apply(RetentionPolicy(keepDaily: 1), to: [], now: Self.now, timeZone: berlin).isEmpty)
    }

    @Test func theNewestIsKeptWhenOnlyATagRuleMatchesOthers() {
        let candidates = [
            RetentionCandidate(id: "new", time: instant("2026-01-02 10:00:00")),
            RetentionCandidate(id: "tagged", time: instant("2026-01-01 10:00:00"), tags: ["keep"]),
        ]
        let decisions = RetentionPlanner.apply(RetentionPolicy(keepTags: ["keep"]), to: candidates, now: Self.now, timeZone: berlin)
        #expect(kept(decisions) == ["new newest", "tagged tag keep"])
    }

    @Test func tiesAreOrderedByIDWhateverTheInputOrder() {
        let time = instant("2026-05-05 05:05:05")
        let candidates = ["c", "a", "b"].map { RetentionCandidate(id: $0, time: time) }
        let decisions = RetentionPlanner.apply(RetentionPolicy(keepLast: 2), to: candidates, now: Self.now, timeZone: berlin)
        #expect(decisions.map(\.id) == ["a", "b", "c"])
        #expect(kept(decisions) == ["a last", "b last"])
    }

    @Test func periodsFollowTheLocalTimeZoneAcrossTheEndOfSummerTime() {
        // 2020-10-25 in Berlin: 02:00-03:00 happens twice (CEST, then CET).
        let candidates = [
            RetentionCandidate(id: "cet-0230", time: instant("2020-10-25 01:30:00", "UTC")),
            RetentionCandidate(id: "cest-0230", time: instant("2020-10-25 00:30:00", "UTC")),
            RetentionCandidate(id: "cest-0130", time: instant("2020-10-24 23:30:00", "UTC")),
            RetentionCandidate(id: "sat-2330", time: instant("2020-10-24 21:30:00", "UTC")),
        ]
        let now = instant("2020-11-01 00:00:00")
        let hourly = RetentionPlanner.apply(RetentionPolicy(keepHourly: 10), to: candidates, now: now, timeZone: berlin)
        #expect(kept(hourly) == ["cet-0230 hourly 2020-10-25 02h", "cest-0130 hourly 2020-10-25 01h", "sat-2330 hourly 2020-10-24 23h"])

        let daily = RetentionPlanner.apply(RetentionPolicy(keepDaily: 10), to: candidates, now: now, timeZone: berlin)
        #expect(kept(daily) == ["cet-0230 daily 2020-10-25", "sat-2330 daily 2020-10-24"])
        // In UTC the day boundary lies elsewhere: 23:30 UTC is still 24 October.
        let dailyUTC = RetentionPlanner.apply(RetentionPolicy(keepDaily: 10), to: candidates, now: now, timeZone: utc)
        #expect(kept(dailyUTC) == ["cet-0230 daily 2020-10-25", "cest-0130 daily 2020-10-24"])
    }

    @Test func periodsFollowTheLocalTimeZoneAcrossTheStartOfSummerTime() {
        // 2021-03-28 in Berlin: 02:00 jumps to 03:00.
        let candidates = [
            RetentionCandidate(id: "0330", time: instant("2021-03-28 01:30:00", "UTC")),
            RetentionCandidate(id: "0130", time: instant("2021-03-28 00:30:00", "UTC")),
            RetentionCandidate(id: "0030", time: instant("2021-03-27 23:30:00", "UTC")),
        ]
        let hourly = RetentionPlanner.apply(RetentionPolicy(keepHourly: 10), to: candidates, now: instant("2021-04-01 00:00:00"), timeZone: berlin)
        #expect(kept(hourly) == ["0330 hourly 2021-03-28 03h", "0130 hourly 2021-03-28 01h", "0030 hourly 2021-03-28 00h"])
    }

    @Test func isoWeeksSpanTheYearBoundary() {
        // 2020 has an ISO week 53 running Monday 28 Dec 2020 to Sunday 3 Jan 2021.
        let candidates = [
            RetentionCandidate(id: "jan05", time: instant("2021-01-05 12:00:00")),
            RetentionCandidate(id: "jan04", time: instant("2021-01-04 12:00:00")),
            RetentionCandidate(id: "jan03", time: instant("2021-01-03 12:00:00")),
            RetentionCandidate(id: "jan01", time: instant("2021-01-01 12:00:00")),
            RetentionCandidate(id: "dec31", time: instant("2020-12-31 12:00:00")),
            RetentionCandidate(id: "dec28", time: instant("2020-12-28 12:00:00")),
            RetentionCandidate(id: "dec27", time: instant("2020-12-27 12:00:00")),
        ]
        let now = instant("2021-02-01 00:00:00")
        let weekly = RetentionPlanner.apply(RetentionPolicy(keepWeekly: 5), to: candidates, now: now, timeZone: berlin)
        #expect(kept(weekly) == ["jan05 weekly 2021-W01", "jan03 weekly 2020-W53", "dec27 weekly 2020-W52"])
        let yearly = RetentionPlanner.apply(RetentionPolicy(keepYearly: 5), to: candidates, now: now, timeZone: berlin)
        #expect(kept(yearly) == ["jan05 yearly 2021", "dec31 yearly 2020"])
    }

    @Test(arguments: [
        // (date, ISO year, ISO week)
        ((2020, 12, 31), 2020, 53), ((2021, 1, 1), 2020, 53), ((2021, 1, 4), 2021, 1),
        ((2024, 12, 30), 2025, 1), ((2026, 1, 1), 2026, 1), ((2027, 1, 1), 2026, 53),
        ((2016, 2, 29), 2016, 9), ((2010, 1, 3), 2009, 53),
    ])
    func isoWeekNumbersMatchTheStandard(date: (Int, Int, Int), year: Int, week: Int) {
        let civil = CivilDate(year: date.0, month: date.1, day: date.2)
        #expect(civil.isoWeek.year == year)
        #expect(civil.isoWeek.week == week)
    }

    @Test func countsRunOutOncePeriodsAreUsed() {
        let policy = RetentionPolicy(keepMonthly: 100)
        let decisions = RetentionPlanner.apply(policy, to: Self.timeline, now: Self.now, timeZone: berlin)
        #expect(kept(decisions) == ["s179 monthly 2026-11", "s139 monthly 2026-10", "s077 monthly 2026-09", "s017 monthly 2026-08"])
    }
}
