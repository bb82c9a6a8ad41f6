import Foundation
import StackBackupTestSupport
import Testing

/// `forget` through the real binary, on snapshots of two sources taken with
/// `--time` over four weeks of November 2026 (local time Europe/Berlin).
@Suite("CLI forget")
struct ForgetTests {
    typealias Entry = (source: String, time: String, tags: [String])

    /// Oldest first. 2026-11-16 is the Monday of ISO week 47, 2026-11-15 the Sunday of week 46.
    static let timeline: [Entry] = [
        ("immich", "2026-10-28 03:00:00", []), ("immich", "2026-11-02 03:00:00", []),
        ("immich", "2026-11-09 03:00:00", []), ("immich", "2026-11-16 03:00:00", ["pre-upgrade"]),
        ("immich", "2026-11-19 03:00:00", []), ("immich", "2026-11-20 03:00:00", []),
        ("immich", "2026-11-20 15:00:00", []),
        ("authelia", "2026-11-01 04:00:00", []), ("authelia", "2026-11-08 04:00:00", ["pre-upgrade"]),
        ("authelia", "2026-11-15 04:00:00", []), ("authelia", "2026-11-19 04:00:00", []),
        ("authelia", "2026-11-20 04:00:00", []),
    ]

    /// What `--keep-daily 2 --keep-weekly 2` decides, in forget's order (sources by
    /// name, newest first); no reasons = removed.
    static let dailyWeekly: [(source: String, time: String, reasons: [String])] = [
        ("authelia", "2026-11-20 04:00:00", ["daily 2026-11-20", "weekly 2026-W47"]),
        ("authelia", "2026-11-19 04:00:00", ["daily 2026-11-19"]),
        ("authelia", "2026-11-15 04:00:00", ["weekly 2026-W46"]),
        ("authelia", "2026-11-08 04:00:00", []),
        ("authelia", "2026-11-01 04:00:00", []),
        ("immich", "2026-11-20 15:00:00", ["daily 2026-11-20", "weekly 2026-W47"]),
        ("immich", "2026-11-20 03:00:00", []),
        ("immich", "2026-11-19 03:00:00", ["daily 2026-11-19"]),
        ("immich", "2026-11-16 03:00:00", []), // week 47 is already kept by 11-20
        ("immich", "2026-11-09 03:00:00", ["weekly 2026-W46"]),
        ("immich", "2026-11-02 03:00:00", []),
        ("immich", "2026-10-28 03:00:00", []),
    ]

    /// A repository holding `entries`; `ids` maps "source time" to the snapshot id.
    struct Fixture {
        let cli: CLIRepository
        let ids: [String: String]

        func id(_ source: String, _ time: String) -> String { ids["\(source) \(time)"] ?? "missing \(source) \(time)" }

        /// The ids `snapshots --json` lists, by source.
        func listed() throws -> [String: Set<String>] {
            let result = try cli.succeed(["snapshots", "--json"])
            let records = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
            return Dictionary(grouping: records, by: { $0["source"] as? String ?? "" })
                .mapValues { Set($0.compactMap { $0["id"] as? String }) }
        }

        /// The ids of `entries` by source.
        func ids(of entries: [(String, String)]) -> [String: Set<String>] {
            Dictionary(grouping: entries, by: \.0).mapValues { Set($0.map { id($0.0, $0.1) }) }
        }
    }

    static func makeFixture(_ entries: [Entry] = timeline) throws -> Fixture {
        let cli = try CLIRepository("cli-forget", environment: ["TZ": "Europe/Berlin"])
        var ids: [String: String] = [:]
        for entry in entries {
            let folder = cli.directory.sub(entry.source)
            try cli.directory.write("\(entry.source)/file.txt", "\(entry.source) at \(entry.time)")
            let summary = try cli.backup(folder, name: entry.source, extra: ["--time", entry.time] + entry.tags.flatMap { ["--tag", $0] })
            let id = try #require(summary.snapshot, "backup printed no snapshot id")
            ids["\(entry.source) \(entry.time)"] = id
        }
        return Fixture(cli: cli, ids: ids)
    }

    /// `forget --json`'s output.
    struct Plan: Decodable {
        struct Decision: Decodable {
            let id: String, time: Date, keep: Bool, reasons: [String]
        }
        let source: String, policy: String, decisions: [Decision]

        static func parse(_ json: String) throws -> [Plan] {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode([Plan].self, from: Data(json.utf8))
        }
    }

    /// Without trailing blanks (a removed snapshot's line ends in an empty reason list).
    func trimmed(_ line: String) -> String {
        String(line.reversed().drop { $0 == " " }.reversed())
    }

    /// Wall-clock text in Europe/Berlin, the form `--time` takes.
    static let berlinClock: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/Berlin")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter
    }()

    static func wallClock(_ date: Date) -> String { berlinClock.string(from: date) }
    static func berlin(_ text: String) -> Date? { berlinClock.date(from: text) }

    @Test func aDryRunShowsEveryDecisionWithItsReasonsAsTextAndJSONAndRemovesNothing() throws {
        let fixture = try Self.makeFixture()
        let before = try fixture.cli.files(in: "snapshots")
        let flags = ["--dry-run", "--keep-daily", "2", "--keep-weekly", "2"]

        let text = try fixture.cli.succeed(["forget"] + flags)
        var expected: [String] = []
        for (index, (source, time, reasons)) in Self.dailyWeekly.enumerated() {
            if index == 0 || Self.dailyWeekly[index - 1].source != source {
                expected.append("\(source) (policy: keep 2 daily, 2 weekly):")
            }
            let verdict = reasons.isEmpty ? "remove" : "keep  "
            expected.append(trimmed("  \(verdict) \(fixture.id(source, time).prefix(8))  \(time)  \(reasons.joined(separator: ", "))"))
        }
        let printed = text.stdout.split(separator: "\n").map { trimmed(String($0)) }
        #expect(printed == expected, "\(text)")
        #expect(text.stderr.contains("dry run: 6 snapshot(s) would be removed"), "\(text)")

        let json = try fixture.cli.succeed(["forget", "--json"] + flags)
        let plans = try Plan.parse(json.stdout)
        #expect(plans.map(\.source) == ["authelia", "immich"])
        #expect(plans.allSatisfy { $0.policy == "keep 2 daily, 2 weekly" }, "\(plans.map(\.policy))")
        let decisions = plans.flatMap { plan in plan.decisions.map { (plan.source, $0) } }
        try #require(decisions.count == Self.dailyWeekly.count, "\(json)")
        for ((source, decision), want) in zip(decisions, Self.dailyWeekly) {
            let context = "\(want.source) \(want.time)"
            #expect(source == want.source && decision.id == fixture.id(want.source, want.time), "\(context)")
            #expect(decision.time == Self.berlin(want.time), "\(context): \(decision.time)")
            #expect(decision.keep == !want.reasons.isEmpty && decision.reasons == want.reasons, "\(context): \(decision.reasons)")
        }

        #expect(try fixture.cli.files(in: "snapshots") == before, "a dry run changed the snapshots")
        #expect(try fixture.listed() == fixture.ids(of: Self.timeline.map { ($0.source, $0.time) }))
    }

    @Test func forgetOfOneSourceLeavesTheOtherUntouched() throws {
        let fixture = try Self.makeFixture()
        let result = try fixture.cli.succeed(["forget", "--source", "authelia", "--keep-last", "2"])
        #expect(result.stdout.hasPrefix("authelia (policy: keep 2 last):\n"), "\(result)")
        #expect(!result.stdout.contains("immich"), "\(result)")
        #expect(result.stderr.contains("removed 3 snapshot(s)"), "\(result)")
        let immich = Self.timeline.filter { $0.source == "immich" }.map { ($0.source, $0.time) }
        #expect(try fixture.listed() == fixture.ids(of: immich + [("authelia", "2026-11-20 04:00:00"), ("authelia", "2026-11-19 04:00:00")]))
    }

    /// The default keeps the newest and tagged snapshots; immich's override replaces it
    /// entirely, so immich's tagged snapshot goes.
    @Test func aPolicyFileDecidesPerSourceAndItsJSONNamesWhatIsRemoved() throws {
        let fixture = try Self.makeFixture()
        let policy = try fixture.cli.directory.write("policies/retention.yml", """
            # the nightly retention
            default:
              keep_last: 1
              keep_tags: [pre-upgrade]
            sources:
              immich:
                keep_weekly: 3
            """)
        let result = try fixture.cli.succeed(["forget", "--policy", policy, "--json"])
        let plans = try Plan.parse(result.stdout)
        #expect(plans.map(\.source) == ["authelia", "immich"])
        #expect(plans.map(\.policy) == ["keep 1 last, tag pre-upgrade", "keep 3 weekly"])
        let kept = plans.flatMap { plan in plan.decisions.filter(\.keep).map { "\(plan.source) \(Self.wallClock($0.time)) \($0.reasons.joined(separator: ", "))" } }
        #expect(kept == [
            "authelia 2026-11-20 04:00:00 last",
            "authelia 2026-11-08 04:00:00 tag pre-upgrade",
            "immich 2026-11-20 15:00:00 weekly 2026-W47",
            "immich 2026-11-09 03:00:00 weekly 2026-W46",
            "immich 2026-11-02 03:00:00 weekly 2026-W45",
        ])
        #expect(result.stderr.contains("removed 7 snapshot(s)"), "\(result)")

        // What the JSON keeps is exactly what is left; what it removes is gone.
        let keptIDs = plans.map { plan in (plan.source, Set(plan.decisions.filter(\.keep).map(\.id))) }
        #expect(try fixture.listed() == Dictionary(uniqueKeysWithValues: keptIDs))
        #expect(plans.flatMap(\.decisions).filter { !$0.keep }.count == 7)
        #expect(try fixture.cli.files(in: "snapshots").count == 5)
    }

    @Test func theNewestSnapshotOfEachSourceSurvivesAPolicyThatKeepsNothingElse() throws {
        let fixture = try Self.makeFixture()
        let result = try fixture.cli.succeed(["forget", "--keep-tag", "no-such-tag"])
        #expect(result.stdout.contains("  keep   \(fixture.id("immich", "2026-11-20 15:00:00").prefix(8))  2026-11-20 15:00:00  newest"), "\(result)")
        #expect(try fixture.listed() == fixture.ids(of: [("immich", "2026-11-20 15:00:00"), ("authelia", "2026-11-20 04:00:00")]))
    }

    @Test(arguments: [
        ("default:\n  keep_daily: 7\n  keep_wekly: 4\n", 3, "unknown key 'keep_wekly' under 'default' (did you mean 'keep_weekly'?)"),
        ("default:\n  keep_daily: 7\nsources:\n  immich:\n    keep_weekly: -1\n", 5, "'keep_weekly' must not be negative (-1)"),
        ("default:\n  keep_daily: 7\nsources:\n  immich:\n", 4, "the policy for source 'immich' is empty"),
        ("default:\n  keep_daily: 0\n", 1, "keeps nothing"),
    ])
    func anInvalidPolicyIsRefusedWithItsFileAndLineAndRemovesNothing(yaml: String, line: Int, message: String) throws {
        let fixture = try Self.makeFixture(Array(Self.timeline.prefix(3)))
        let policy = try fixture.cli.directory.write("retention.yml", yaml)
        let before = try fixture.cli.files(in: "snapshots")
        let result = try fixture.cli.run(["forget", "--policy", policy])
        #expect(result.status != 0 && result.endedCleanly, "\(result)")
        #expect(result.stderr.contains("\(policy):\(line): ") && result.stderr.contains(message), "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(try fixture.cli.files(in: "snapshots") == before)
    }
}
