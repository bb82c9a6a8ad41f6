import Foundation

/// One snapshot as the planner sees it.
public struct RetentionCandidate: Sendable, Equatable {
    public var id: String
    public var time: Date
    public var tags: [String]

    public init(id: String, time: Date, tags: [String] = []) {
        self.id = id
        self.time = time
        self.tags = tags
    }
}

/// The planner's verdict on one snapshot, with every reason it is kept
/// (empty when removed).
public struct RetentionDecision: Codable, Sendable, Equatable {
    public var id: String
    public var time: Date
    public var keep: Bool
    public var reasons: [String]

    public init(id: String, time: Date, keep: Bool, reasons: [String]) {
        self.id = id
        self.time = time
        self.keep = keep
        self.reasons = reasons
    }
}

/// Applies a policy to one source's snapshots, as restic's `forget` does:
///
/// - snapshots are sorted newest first (ties by id, for a stable result);
/// - for each of last/hourly/daily/weekly/monthly/yearly with a count left, a
///   snapshot is kept when its period (wall clock of `timeZone`; ISO weeks)
///   differs from that of the last snapshot this rule kept, and the count drops;
/// - `keep_within` keeps snapshots strictly newer than the newest snapshot's
///   time (the newest not after `now`) minus the duration, by calendar;
/// - `keep_tags` keeps snapshots carrying every tag of one of the lists ("a,b");
/// - the newest snapshot is always kept (reason "newest" when nothing else
///   keeps it), even under an empty policy.
///
/// Deliberate differences from restic: restic keeps everything under an empty
/// policy (we keep only the newest; the loader refuses empty policies), and
/// restic ≥ 0.15 additionally keeps the oldest snapshot while a count is left.
public enum RetentionPlanner {
    public static func apply(
        _ policy: RetentionPolicy, to candidates: [RetentionCandidate], now: Date, timeZone: TimeZone
    ) -> [RetentionDecision] {
        let sorted = candidates.sorted { a, b in
            a.time != b.time ? a.time > b.time : a.id < b.id
        }
        guard let newest = sorted.first else { return [] }
        let latest = sorted.first(where: { $0.time <= now })?.time ?? newest.time

        let withinLimit: Date? = policy.keepWithin.flatMap { within in
            within.isZero ? nil : within.subtracted(from: latest, timeZone: timeZone)
        }
        let tagLists: [Set<String>] = policy.keepTags.map { list in
            Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }.filter { !$0.isEmpty }

        var buckets: [Bucket] = [
            Bucket(kind: .last, remaining: policy.keepLast ?? 0),
            Bucket(kind: .hourly, remaining: policy.keepHourly ?? 0),
            Bucket(kind: .daily, remaining: policy.keepDaily ?? 0),
            Bucket(kind: .weekly, remaining: policy.keepWeekly ?? 0),
            Bucket(kind: .monthly, remaining: policy.keepMonthly ?? 0),
            Bucket(kind: .yearly, remaining: policy.keepYearly ?? 0),
        ]

        var decisions: [RetentionDecision] = []
        decisions.reserveCapacity(sorted.count)
        for (index, candidate) in sorted.enumerated() {
            var reasons: [String] = []
            let local = LocalTime(candidate.time, timeZone)
            for i in buckets.indices where buckets[i].remaining > 0 {
                let period = buckets[i].kind.period(of: local, index: index)
                if period.key != buckets[i].lastKey {
                    buckets[i].lastKey = period.key
                    buckets[i].remaining -= 1
                    reasons.append(period.label)
                }
            }
            if let limit = withinLimit, candidate.time > limit, let within = policy.keepWithin {
                reasons.append("within \(within)")
            }
            if !tagLists.isEmpty {
                let tags = Set(candidate.tags)
                for (list, text) in zip(tagLists, policy.keepTags) where list.isSubset(of: tags) {
                    reasons.append("tag \(text)")
                }
            }
            if index == 0, reasons.isEmpty { reasons.append("newest") }
            decisions.append(RetentionDecision(id: candidate.id, time: candidate.time,
                                               keep: !reasons.isEmpty, reasons: reasons))
        }
        return decisions
    }
}

private struct Bucket {
    enum Kind { case last, hourly, daily, weekly, monthly, yearly }

    let kind: Kind
    var remaining: Int
    var lastKey: Int? = nil

    init(kind: Kind, remaining: Int) {
        self.kind = kind
        self.remaining = remaining
    }
}

extension Bucket.Kind {
    /// A number identifying the period, and the reason text naming it.
    func period(of t: LocalTime, index: Int) -> (key: Int, label: String) {
        switch self {
        case .last:
            return (index, "last")
        case .hourly:
            return (((t.year * 100 + t.month) * 100 + t.day) * 100 + t.hour,
                    "hourly \(t.year)-\(pad(t.month))-\(pad(t.day)) \(pad(t.hour))h")
        case .daily:
            return ((t.year * 100 + t.month) * 100 + t.day, "daily \(t.year)-\(pad(t.month))-\(pad(t.day))")
        case .weekly:
            let w = t.civil.isoWeek
            return (w.year * 100 + w.week, "weekly \(w.year)-W\(pad(w.week))")
        case .monthly:
            return (t.year * 100 + t.month, "monthly \(t.year)-\(pad(t.month))")
        case .yearly:
            return (t.year, "yearly \(t.year)")
        }
    }

    private func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
