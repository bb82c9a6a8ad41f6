// Retention/ owns which snapshots a policy keeps: the policy value, its
// durations, per-source policy sets, and the planner that turns a list of
// snapshots into keep/remove decisions with reasons. It never reads the wall
// clock: callers pass `now` and the operator's time zone. YAML loading of
// policies lives in Config/ (RetentionPolicySet+YAML.swift).

/// What to keep of one source's snapshots, with restic's `forget` semantics.
///
/// Counts are "how many periods": `keepDaily: 7` keeps the newest snapshot of
/// each of the 7 most recent days that have a snapshot. `nil` (or 0) disables a
/// rule. A policy with no rule at all is empty; the planner then keeps only
/// the newest snapshot, and the YAML loader refuses it.
public struct RetentionPolicy: Codable, Sendable, Equatable {
    public var keepLast: Int?
    public var keepHourly: Int?
    public var keepDaily: Int?
    public var keepWeekly: Int?
    public var keepMonthly: Int?
    public var keepYearly: Int?
    public var keepWithin: RetentionDuration?
    /// Each entry is a tag list: "a,b" matches snapshots carrying both a and b.
    public var keepTags: [String]

    public init(
        keepLast: Int? = nil, keepHourly: Int? = nil, keepDaily: Int? = nil,
        keepWeekly: Int? = nil, keepMonthly: Int? = nil, keepYearly: Int? = nil,
        keepWithin: RetentionDuration? = nil, keepTags: [String] = []
    ) {
        self.keepLast = keepLast
        self.keepHourly = keepHourly
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
        self.keepYearly = keepYearly
        self.keepWithin = keepWithin
        self.keepTags = keepTags
    }

    enum CodingKeys: String, CodingKey {
        case keepLast = "keep_last", keepHourly = "keep_hourly", keepDaily = "keep_daily"
        case keepWeekly = "keep_weekly", keepMonthly = "keep_monthly", keepYearly = "keep_yearly"
        case keepWithin = "keep_within", keepTags = "keep_tags"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        keepLast = try c.decodeIfPresent(Int.self, forKey: .keepLast)
        keepHourly = try c.decodeIfPresent(Int.self, forKey: .keepHourly)
        keepDaily = try c.decodeIfPresent(Int.self, forKey: .keepDaily)
        keepWeekly = try c.decodeIfPresent(Int.self, forKey: .keepWeekly)
        keepMonthly = try c.decodeIfPresent(Int.self, forKey: .keepMonthly)
        keepYearly = try c.decodeIfPresent(Int.self, forKey: .keepYearly)
        keepWithin = try c.decodeIfPresent(RetentionDuration.self, forKey: .keepWithin)
        keepTags = try c.decodeIfPresent([String].self, forKey: .keepTags) ?? []
    }

    /// True when no rule would keep anything.
    public var isEmpty: Bool {
        let counts = [keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly]
        let anyCount = counts.contains { ($0 ?? 0) > 0 }
        let anyWithin = keepWithin.map { !$0.isZero } ?? false
        return !anyCount && !anyWithin && keepTags.isEmpty
    }

    /// restic-style one-line summary, e.g. "keep 7 daily, 4 weekly, within 10d".
    public var summary: String {
        var parts: [String] = []
        let counts: [(Int?, String)] = [
            (keepLast, "last"), (keepHourly, "hourly"), (keepDaily, "daily"),
            (keepWeekly, "weekly"), (keepMonthly, "monthly"), (keepYearly, "yearly"),
        ]
        for (count, name) in counts where (count ?? 0) > 0 {
            parts.append("\(count ?? 0) \(name)")
        }
        if let within = keepWithin, !within.isZero { parts.append("within \(within)") }
        for tags in keepTags { parts.append("tag \(tags)") }
        return parts.isEmpty ? "keep only the newest" : "keep " + parts.joined(separator: ", ")
    }
}
