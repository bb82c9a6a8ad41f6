import Foundation
import StackBackupTestSupport
import Testing
@testable import StackBackupKit

extension ResticCrossCheckTests {
    struct BackupSummary: Decodable {
        let snapshot_id: String
    }

    /// restic's flags for a policy. restic has no weeks: "2w" is written "14d".
    static func flags(_ policy: RetentionPolicy) -> [String] {
        var flags: [String] = []
        let counts = [("last", policy.keepLast), ("hourly", policy.keepHourly), ("daily", policy.keepDaily),
                      ("weekly", policy.keepWeekly), ("monthly", policy.keepMonthly), ("yearly", policy.keepYearly)]
        for (name, count) in counts {
            if let count, count > 0 { flags += ["--keep-\(name)", "\(count)"] }
        }
        if let within = policy.keepWithin, !within.isZero {
            let parts = [(within.years, "y"), (within.months, "m"), (within.days + 7 * within.weeks, "d"), (within.hours, "h")]
            flags += ["--keep-within", parts.filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }.joined()]
        }
        for tags in policy.keepTags { flags += ["--keep-tag", tags] }
        return flags
    }

    /// restic ≥ 0.15 keeps the oldest snapshot while a count is left over.
    static func resticKeepsTheOldest(env: [String: String]) throws -> Bool {
        let text = String(decoding: try restic(["version"], env: env), as: UTF8.self)
        let numbers = text.split(separator: " ").dropFirst().first?.split(separator: ".").compactMap { Int($0) } ?? []
        return numbers.count >= 2 && (numbers[0], numbers[1]) >= (0, 15)
    }

    /// RetentionTimelineTests' four years of three sources, one restic host per
    /// source, each judged by restic under its own block of the policy file.
    /// The snapshots are written into the repository directly (ResticSnapshotWriter):
    /// thousands of `restic backup` runs would take many minutes.
    ///
    /// Named differences: immich asks for 100 months and has 50, umami for 10 years
    /// and has 5, so restic ≥ 0.15 also keeps their oldest snapshots; the planner does
    /// not (nor does restic 0.14). immich's two snapshots at one instant: see the
    /// suite's comment.
    @Test func keptSetsMatchResticForgetOnFourYearsOfThreeSources() throws {
        guard Self.resticIsAvailable() else { return }
        let dir = TemporaryDirectory("stackbackup-restic-timeline")
        try dir.write("data/file", "tiny")
        let env = Self.environment(dir)
        try Self.restic(["init", "-q"], env: env)
        // One real snapshot to copy; its summary (the last JSON line) names it.
        let backup = try Self.restic(["backup", "--json", "--host", "template", dir.sub("data")], env: env)
        let summary = try #require(String(decoding: backup, as: UTF8.self).split(separator: "\n").last)
        let real = try JSONDecoder().decode(BackupSummary.self, from: Data(summary.utf8))
        let template = try Self.restic(["cat", "snapshot", real.snapshot_id], env: env)
        let writer = try ResticSnapshotWriter(repository: dir.sub("repo"), masterKey: Self.restic(["cat", "masterkey"], env: env),
                                              template: template, zone: berlin)
        let keepsOldest = try Self.resticKeepsTheOldest(env: env)

        var candidateOf: [String: String] = [:] // restic id → candidate id
        for (source, candidates) in RetentionTimelineTests.sources {
            for candidate in candidates {
                candidateOf[try writer.write(time: candidate.time, host: source, tags: candidate.tags)] = candidate.id
            }
        }

        for (source, candidates) in RetentionTimelineTests.sources.sorted(by: { $0.key < $1.key }) {
            let policy = RetentionTimelineTests.policies.policy(for: source)
            let output = try Self.restic(["forget", "--dry-run", "--json", "--no-cache", "--host", source] + Self.flags(policy), env: env)
            let groups = try JSONDecoder().decode([ForgetGroup].self, from: output)
            let judged = groups.flatMap { ($0.keep ?? []) + ($0.remove ?? []) }
            #expect(judged.count == candidates.count, "\(source): restic judged \(judged.count) of \(candidates.count) snapshots")
            let resticKept = Set(groups.flatMap { $0.keep ?? [] }.compactMap { candidateOf[$0.id] })

            // restic counts keep_within back from its newest snapshot not after the real
            // clock, as the planner does from `now`; much of this timeline lies after it.
            let decisions = RetentionPlanner.apply(policy, to: candidates, now: Date(), timeZone: berlin)
            let ours = Set(decisions.filter(\.keep).map(\.id))
            var allowed = [ours]
            if keepsOldest, let oldest = decisions.last?.id { allowed.append(ours.union([oldest])) }
            // Of two snapshots at the same instant restic keeps either (its sort is not
            // stable); the planner keeps the smaller id. So compare kept instants.
            let timeOf = Dictionary(uniqueKeysWithValues: candidates.map { ($0.id, $0.time) })
            let instants = { (ids: Set<String>) in ids.compactMap { timeOf[$0] }.sorted() }
            #expect(allowed.map(instants).contains(instants(resticKept)), """
                \(source) (\(Self.flags(policy).joined(separator: " "))): \
                only restic keeps \(resticKept.subtracting(ours).sorted()), only stackbackup keeps \(ours.subtracting(resticKept).sorted())
                """)
            #expect(ours.count > 20 && ours.count < candidates.count, "the policy should keep some and remove some")
        }
    }
}
