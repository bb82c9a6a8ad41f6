import Foundation
@testable import StackBackupKit

/// A second, independent reading of restic's forget rules, to check the
/// planner against on long timelines. It shares no code with the planner:
/// periods come from Foundation's ISO 8601 calendar, and a count N keeps "the
/// newest snapshot of each of the N newest periods that have a snapshot",
/// stated over sets instead of the planner's single newest-first pass.
struct ReferenceRetention {
    enum Rule: String, CaseIterable {
        case last, hourly, daily, weekly, monthly, yearly
    }

    let calendar: Calendar

    init(zone: TimeZone) {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = zone
        self.calendar = calendar
    }

    /// Every reason each snapshot is kept, keyed by id (absent = removed), in
    /// the planner's order: counted rules, then within, then tags, else "newest".
    func reasons(_ policy: RetentionPolicy, _ candidates: [RetentionCandidate], now: Date) -> [String: [String]] {
        let sorted = candidates.sorted { $0.time != $1.time ? $0.time > $1.time : $0.id < $1.id }
        let parts = sorted.map { calendar.dateComponents([.year, .month, .day, .hour, .yearForWeekOfYear, .weekOfYear], from: $0.time) }
        var reasons: [String: [String]] = [:]
        for rule in Rule.allCases {
            let count = Self.count(of: rule, in: policy)
            var periods: Set<String> = []
            for (index, candidate) in sorted.enumerated() where count > 0 {
                let label = Self.label(rule, parts[index])
                let period = rule == .last ? "\(index)" : label // each snapshot is its own "last" period
                if periods.contains(period) { continue } // an older snapshot of a period already kept
                if periods.count == count { break }
                periods.insert(period)
                reasons[candidate.id, default: []].append(label)
            }
        }
        if let within = policy.keepWithin, !within.isZero,
           let latest = sorted.first(where: { $0.time <= now })?.time ?? sorted.first?.time {
            // Days and weeks only: Foundation clamps "31 March minus a month" to
            // 28/29 February where Go rolls over to 3 March.
            precondition(within.years == 0 && within.months == 0, "the reference handles day, week and hour durations")
            let limit = calendar.date(byAdding: .day, value: -(within.days + 7 * within.weeks), to: latest)!
                .addingTimeInterval(-3600 * Double(within.hours))
            for candidate in sorted where candidate.time > limit {
                reasons[candidate.id, default: []].append("within \(within)")
            }
        }
        for list in policy.keepTags {
            let wanted = Set(list.split(separator: ",").map(String.init))
            for candidate in sorted where wanted.isSubset(of: Set(candidate.tags)) {
                reasons[candidate.id, default: []].append("tag \(list)")
            }
        }
        if let newest = sorted.first, reasons[newest.id] == nil { reasons[newest.id] = ["newest"] }
        return reasons
    }

    static func count(of rule: Rule, in policy: RetentionPolicy) -> Int {
        switch rule {
        case .last: policy.keepLast ?? 0
        case .hourly: policy.keepHourly ?? 0
        case .daily: policy.keepDaily ?? 0
        case .weekly: policy.keepWeekly ?? 0
        case .monthly: policy.keepMonthly ?? 0
        case .yearly: policy.keepYearly ?? 0
        }
    }

    /// The reason text naming a snapshot's period, as `forget` prints it.
    static func label(_ rule: Rule, _ c: DateComponents) -> String {
        func pad(_ value: Int?, _ width: Int = 2) -> String {
            let text = String(value ?? -1)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let day = "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day))"
        switch rule {
        case .last: return "last"
        case .hourly: return "hourly \(day) \(pad(c.hour))h"
        case .daily: return "daily \(day)"
        case .weekly: return "weekly \(pad(c.yearForWeekOfYear, 4))-W\(pad(c.weekOfYear))"
        case .monthly: return "monthly \(pad(c.year, 4))-\(pad(c.month))"
        case .yearly: return "yearly \(pad(c.year, 4))"
        }
    }
}
