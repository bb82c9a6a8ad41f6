import Foundation
import Testing
@testable import StackBackupKit

@Suite struct RetentionPolicyFileTests {
    @Test func parsesADefaultAndPerSourceOverrides() throws {
        let yaml = """
        default:
          keep_daily: 7
          keep_weekly: 4
        sources:
          authelia:
            keep_within: 1y6m
            keep_tags: [before-upgrade, "manual,db"]
        """
        let set = try RetentionPolicySet.parse(yaml: yaml, file: "retention.yml")
        #expect(set.policy(for: "immich") == RetentionPolicy(keepDaily: 7, keepWeekly: 4))
        #expect(set.policy(for: "authelia") == RetentionPolicy(keepWithin: RetentionDuration(years: 1, months: 6),
                                                               keepTags: ["before-upgrade", "manual,db"]))
    }

    @Test(arguments: [
        ("default:\n  keep_dialy: 7\n", 2, "unknown key 'keep_dialy' under 'default' (did you mean 'keep_daily'?)"),
        ("default:\n  keep_daily: 7\nsources:\n  umami:\n    keep_last: -2\n", 5, "'keep_last' must not be negative (-2); write the number of periods to keep"),
        ("default:\n  keep_daily: 0\n", 1, "the policy for 'default' keeps nothing and would delete every snapshot but the newest; give it at least one keep_* rule above 0"),
        ("default:\n  keep_daily: 7\nsources:\n  umami:\n", 4, "the policy for source 'umami' is empty and would delete every snapshot but the newest; give it at least one keep_* rule"),
        ("default:\n  keep_within: 10 days\n", 2, "'keep_within' must be a duration like 10d, 2w, 6m (months), 1y6m or 12h, not '10 days'"),
        ("default:\n  keep_weekly: lots\n", 2, "'keep_weekly' must be a whole number of periods, not 'lots'"),
        ("sources:\n  umami:\n    keep_last: 3\n", 1, "the retention policy has no 'default:' section; add one (e.g. keep_daily: 7) so sources without an override know what to keep"),
        ("default:\n  keep_daily: 7\nsource: {}\n", 3, "unknown key 'source' under the top level (did you mean 'sources'?)"),
    ])
    func refusesInvalidPoliciesWithTheirLine(yaml: String, line: Int, message: String) {
        let error = configurationError { _ = try RetentionPolicySet.parse(yaml: yaml, file: "policies/retention.yml") }
        #expect(error?.file == "policies/retention.yml")
        #expect(error?.line == line)
        #expect(error?.message == message)
    }

    @Test func refusesAnEmptyFile() {
        let error = configurationError { _ = try RetentionPolicySet.parse(yaml: "\n# nothing\n", file: "r.yml") }
        #expect(error?.message.contains("empty") == true)
    }
}
