import Foundation
import StackBackupTestSupport
import Testing
@testable import StackBackupKit

/// Four years of snapshots of three sources (2024-02-26 to 2028-03-29), under
/// the per-source policies of one policy file. It spans both leap days, ISO
/// week 53 of 2026, eight changes of summer time in Berlin, a tie and tags.
@Suite struct RetentionTimelineTests {
    static let policyFile = """
        default:            # umami, and any source without its own block
          keep_daily: 7
          keep_weekly: 5
          keep_monthly: 12
          keep_yearly: 10
        sources:
          immich:
            keep_last: 4
            keep_hourly: 30
            keep_daily: 14
            keep_weekly: 70     # back to 2026-W49, past ISO week 53 of 2026
            keep_monthly: 100   # more months than there are
            keep_yearly: 10
          authelia:
            keep_within: 2w
            keep_monthly: 6
            keep_tags: [pre-upgrade, "manual,db"]
        """

    static let policies: RetentionPolicySet = {
        do { return try RetentionPolicySet.parse(yaml: policyFile, file: "policies/retention.yml") } catch {
            fatalError("the test's policy file does not parse: \(error)")
        }
    }()

    static let firstDay = Date(timeIntervalSince1970: 1_708_905_600) // 2024-02-26 00:00 UTC
    static let days = 1494 // to 2028-03-29
    static let now = utcTime("2028-04-01 12:00:00")

    static func utcTime(_ text: String) -> Date { instant(text, "UTC") }

    /// immich: three a day at random seconds of each third of the UTC day (so
    /// the late one often falls on the next Berlin day), plus: both 02:30 of the
    /// end of summer time 2026, two at the same instant just before the Berlin
    /// new year 2028, one at that new year, and one every 20 minutes across the
    /// start of summer time on 2028-03-26.
    static let immich: [RetentionCandidate] = {
        var random = SeededRandom(seed: 2024)
        var result: [RetentionCandidate] = []
        for day in 0..<days {
            for third in 0..<3 {
                let second = 28_800 * third + Int.random(in: 0..<28_800, using: &random)
                let time = firstDay.addingTimeInterval(Double(86_400 * day + second))
                result.append(RetentionCandidate(id: "immich-\(result.count + 10_000)", time: time))
            }
        }
        result += [
            RetentionCandidate(id: "immich-fall-cest", time: utcTime("2026-10-25 00:30:00")),
            RetentionCandidate(id: "immich-fall-cet", time: utcTime("2026-10-25 01:30:00")),
            RetentionCandidate(id: "immich-tie-b", time: utcTime("2027-12-31 22:59:59")),
            RetentionCandidate(id: "immich-tie-a", time: utcTime("2027-12-31 22:59:59")),
            RetentionCandidate(id: "immich-new-year", time: utcTime("2027-12-31 23:00:00")),
        ]
        let dense = utcTime("2028-03-25 22:00:00")
        for step in 0...18 {
            result.append(RetentionCandidate(id: "immich-spring-\(step)", time: dense.addingTimeInterval(Double(1200 * step))))
        }
        return result
    }()

    /// authelia: nightly at 03:17 Berlin wall time. Tagged pre-upgrade on the first
    /// day of each quarter, manual+db on the 15th, manual alone on the 10th.
    static let authelia: [RetentionCandidate] = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = berlin
        return (0..<days).map { day in
            let date = firstDay.addingTimeInterval(Double(86_400 * day + 43_200))
            var parts = calendar.dateComponents([.year, .month, .day], from: date)
            parts.hour = 3
            parts.minute = 17
            var tags: [String] = []
            if parts.day == 1, [1, 4, 7, 10].contains(parts.month) { tags = ["pre-upgrade"] }
            if parts.day == 15 { tags = ["db", "manual"] }
            if parts.day == 10 { tags = ["manual"] }
            return RetentionCandidate(id: "authelia-\(10_000 + day)", time: calendar.date(from: parts)!, tags: tags)
        }
    }()

    /// umami: on about two days in five, once at a random time.
    static let umami: [RetentionCandidate] = {
        var random = SeededRandom(seed: 7)
        return (0..<days).compactMap { day in
            guard Int.random(in: 0..<5, using: &random) < 2 else { return nil }
            let time = firstDay.addingTimeInterval(Double(86_400 * day + Int.random(in: 0..<86_400, using: &random)))
            return RetentionCandidate(id: "umami-\(10_000 + day)", time: time)
        }
    }()

    static let sources: [String: [RetentionCandidate]] = ["immich": immich, "authelia": authelia, "umami": umami]

    static func decisions(_ source: String, zone: TimeZone = berlin) -> [RetentionDecision] {
        var random = SeededRandom(seed: 99)
        return RetentionPlanner.apply(policies.policy(for: source), to: sources[source]!.shuffled(using: &random),
                                      now: now, timeZone: zone)
    }

    @Test func thePolicyFileGivesEachSourceItsOwnBlockWholeAndTheRestTheDefault() {
        #expect(Self.policies.policy(for: "umami") == Self.policies.default)
        #expect(Self.policies.policy(for: "nextcloud") == Self.policies.default)
        // An override replaces the default: authelia keeps no daily snapshots.
        #expect(Self.policies.policy(for: "authelia") == RetentionPolicy(
            keepMonthly: 6, keepWithin: RetentionDuration(weeks: 2), keepTags: ["pre-upgrade", "manual,db"]))
        #expect(Self.immich.count == 1494 * 3 + 24 && Self.authelia.count == 1494 && Self.umami.count > 500)
    }

    @Test(arguments: ["Europe/Berlin", "UTC", "America/New_York", "Australia/Lord_Howe"], ["immich", "authelia", "umami"])
    func everySourceKeepsWhatAnIndependentReadingOfItsPolicyKeeps(zoneName: String, source: String) throws {
        let zone = try #require(TimeZone(identifier: zoneName))
        let decisions = Self.decisions(source, zone: zone)
        let expected = ReferenceRetention(zone: zone).reasons(Self.policies.policy(for: source), Self.sources[source]!, now: Self.now)
        #expect(decisions.count == Self.sources[source]!.count)
        var mismatches: [String] = []
        for decision in decisions where decision.reasons != expected[decision.id] ?? [] || decision.keep != (expected[decision.id] != nil) {
            mismatches.append("\(decision.id) \(decision.time): planner \(decision.reasons), reference \(expected[decision.id] ?? [])")
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) decisions differ, first: \(mismatches.prefix(5))")
        #expect(decisions.filter(\.keep).count == expected.count)
        #expect(decisions.filter(\.keep).count < decisions.count / 10, "the policy should remove most of four years")
    }

    /// How many snapshots each rule keeps in Berlin: the count asked, or every
    /// period there is when there are fewer.
    @Test(arguments: [
        ("immich", "last", 4), ("immich", "hourly", 30), ("immich", "daily", 14), ("immich", "weekly", 70),
        ("immich", "monthly", 50), // 2024-02 … 2028-03: fewer months than the 100 asked
        ("immich", "yearly", 5),   // 2024 … 2028
        ("authelia", "within", 14), // 16 March to 29 March 2028; 15 March 03:17 is the limit itself
        ("authelia", "monthly", 6),
        ("authelia", "tag pre-upgrade", 16), // first days of the quarters 2024-04 … 2028-01
        ("authelia", "tag manual,db", 49),   // every 15th from 2024-03 to 2028-03; the 10ths carry "manual" only
        ("umami", "daily", 7), ("umami", "weekly", 5), ("umami", "monthly", 12), ("umami", "yearly", 5),
    ])
    func eachRuleKeepsItsCountOfPeriods(source: String, rule: String, count: Int) {
        let matching = Self.decisions(source).filter { $0.reasons.contains { $0 == rule || $0.hasPrefix(rule + " ") } }
        #expect(matching.count == count)
    }

    /// The snapshot a reason names, and its calendar day in `zone`.
    static func keptDay(_ source: String, _ label: String, zone: TimeZone = berlin) -> (id: String, day: String)? {
        guard let decision = decisions(source, zone: zone).first(where: { $0.reasons.contains(label) }) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day], from: decision.time)
        return (decision.id, "\(c.year!)-\(c.month!)-\(c.day!)")
    }

    @Test func monthlyKeepsTheLeapDaysAsTheNewestOfFebruary() {
        #expect(Self.keptDay("immich", "monthly 2024-02")?.day == "2024-2-29")
        #expect(Self.keptDay("immich", "monthly 2028-02")?.day == "2028-2-29")
    }

    @Test func weeklyReachesBackIntoISOWeek53Of2026() {
        #expect(Self.keptDay("immich", "weekly 2026-W53")?.day == "2027-1-3", "the Sunday ends week 53")
        let labels = Self.decisions("immich").flatMap(\.reasons)
        #expect(labels.contains("weekly 2027-W52") && labels.contains("weekly 2027-W01") && !labels.contains("weekly 2027-W53"))
        #expect(labels.filter { $0.hasPrefix("weekly ") }.last == "weekly 2026-W49")
    }

    @Test func yearlyFollowsTheLocalNewYearAndBreaksTiesByID() {
        #expect(Self.keptDay("immich", "yearly 2027")?.id == "immich-tie-a")
        // In UTC, 23:00 on 31 December is still 2027: the tie is no longer the newest of the year.
        let utcYearly = Self.keptDay("immich", "yearly 2027", zone: utc)
        #expect(utcYearly != nil && utcYearly?.id != "immich-tie-a")
        #expect(Self.decisions("immich").first { $0.id == "immich-tie-b" }?.keep == false)
    }

    @Test func hourlySkipsTheHourThatSummerTimeSkips() {
        let labels = Self.decisions("immich").flatMap(\.reasons).filter { $0.hasPrefix("hourly 2028-03-26") }
        #expect(labels.contains("hourly 2028-03-26 01h") && labels.contains("hourly 2028-03-26 03h"), "\(labels)")
        #expect(!labels.contains("hourly 2028-03-26 02h"), "\(labels)")
    }

    @Test func theRepeatedHourAtTheEndOfSummerTimeIsOnePeriod() {
        let before = Self.immich.filter { $0.time <= Self.utcTime("2026-10-25 01:30:00") }
        let decisions = RetentionPlanner.apply(RetentionPolicy(keepHourly: 3), to: before, now: Self.now, timeZone: berlin)
        let kept = decisions.filter(\.keep)
        #expect(kept.first?.id == "immich-fall-cet" && kept.first?.reasons == ["hourly 2026-10-25 02h"])
        #expect(decisions.first { $0.id == "immich-fall-cest" }?.keep == false, "02:30 CEST is the same hour as 02:30 CET")
    }

    @Test func dailyCountsDaysThatHaveSnapshotsNotCalendarDays() throws {
        let days = Self.decisions("umami").filter { $0.reasons.contains { $0.hasPrefix("daily ") } }.map(\.time)
        try #require(days.count == 7)
        let span = days.first!.timeIntervalSince(days.last!) / 86_400
        #expect(span > 7, "umami has a snapshot on about two days in five, so 7 kept days span more than a week")
    }

    @Test func keepTagsNeedsEveryTagOfAList() {
        let tags = Dictionary(uniqueKeysWithValues: Self.authelia.map { ($0.id, $0.tags) })
        let manualOnly = Self.decisions("authelia").filter { tags[$0.id] == ["manual"] }
        #expect(manualOnly.count == 49 && manualOnly.allSatisfy { !$0.reasons.contains { $0.hasPrefix("tag ") } })
    }
}
