import Foundation

/// The decisions for one source, newest first.
public struct ForgetPlan: Codable, Sendable {
    public var source: String
    public var policy: String
    public var decisions: [RetentionDecision]
    public var removeCount: Int { decisions.filter { !$0.keep }.count }
}

/// Applies retention policies per source and removes the snapshots they do
/// not keep. Never removes the newest snapshot of a source (the planner keeps
/// it whatever the policy says). Removing snapshots only drops references;
/// `prune` frees the space.
public enum ForgetJob {
    /// The decisions per source. Takes no lock: `run` calls it under its lock.
    public static func plan(repository: Repository, policies: RetentionPolicySet, source: String? = nil,
                            now: Date = Date(), timeZone: TimeZone = .current) throws -> [ForgetPlan] {
        let snapshots = try repository.listSnapshots().snapshots
        let bySource = Dictionary(grouping: snapshots.filter { source == nil || $0.snapshot.source == source }, by: \.snapshot.source)
        return bySource.keys.sorted().map { name in
            let policy = policies.policy(for: name)
            let candidates = bySource[name]!.map { RetentionCandidate(id: $0.id.hex, time: $0.snapshot.time, tags: $0.snapshot.tags) }
            return ForgetPlan(source: name, policy: policy.summary,
                              decisions: RetentionPlanner.apply(policy, to: candidates, now: now, timeZone: timeZone))
        }
    }

    /// Plans and removes under one exclusive lock (shared for a dry run), taken
    /// before the snapshots are listed: a plan made from a list read without
    /// the lock could remove what a concurrent forget decided to keep.
    public static func run(repository: Repository, policies: RetentionPolicySet, source: String? = nil,
                           now: Date = Date(), timeZone: TimeZone = .current, dryRun: Bool = false,
                           lockWait: TimeInterval? = nil) throws -> ForgetOutcome {
        let lock = try repository.lock(exclusive: !dryRun, command: "forget", wait: lockWait)
        defer { try? lock.release() }
        let plans = try plan(repository: repository, policies: policies, source: source, now: now, timeZone: timeZone)
        guard !dryRun else { return ForgetOutcome(plans: plans, removed: []) }
        var removed: [ObjectID] = []
        for plan in plans {
            for decision in plan.decisions where !decision.keep {
                guard let id = ObjectID(hex: decision.id) else { continue }
                try repository.removeSnapshot(id)
                removed.append(id)
            }
        }
        return ForgetOutcome(plans: plans, removed: removed)
    }
}

/// The plans `ForgetJob.run` made and the snapshots it removed (none for a dry run).
public struct ForgetOutcome: Sendable {
    public var plans: [ForgetPlan]
    public var removed: [ObjectID]
}
