import Foundation

/// What a source's last backups amount to at one moment.
public enum SourceState: String, Sendable, CaseIterable {
    /// Backed up whole within its maximum age.
    case ok
    /// The last success is older than the source's `max_age:`.
    case stale
    /// The latest attempt failed (or was stopped).
    case failed
    /// The last snapshot lacks entries it could not read.
    case partial
    /// Configured, but never backed up successfully.
    case never
}

extension RunStatus {
    /// The status as of `now`. With the config's sources: a source the config
    /// no longer names is dropped (its snapshots stay in the repository), a
    /// configured one that no run reached yet appears as `never`, and each gets
    /// its `max_age:`. Without (`status --status-file` alone) every source is
    /// kept and gets the nightly default. Then the state, age and `healthy` of
    /// every source and of the whole document are set.
    public func evaluated(at now: Date, configured: [ConfiguredSource]?) -> RunStatus {
        var result = self
        result.version = Self.currentVersion
        result.checkedAt = now
        if let configured {
            var kept: [String: Source] = [:]
            for source in configured {
                var entry = sources[source.name] ?? Source(kind: source.kind, lastAttempt: nil)
                entry.maxAgeSeconds = source.maxAge
                kept[source.name] = entry
            }
            result.sources = kept
        }
        for (name, var source) in result.sources {
            let maxAge = source.maxAgeSeconds ?? StackConfig.nightlyMaxAge
            source.maxAgeSeconds = maxAge
            source.ageSeconds = source.lastSuccess.map { max(0, now.timeIntervalSince($0)) }
            source.age = source.ageSeconds.map(HumanAge.describe)
            let state: SourceState
            if source.error != nil { state = .failed }
            else if source.lastSuccess == nil { state = .never }
            else if let age = source.ageSeconds, age > maxAge { state = .stale }
            else if source.skipped?.isEmpty == false { state = .partial }
            else { state = .ok }
            source.state = state.rawValue
            source.healthy = state == .ok
            result.sources[name] = source
        }
        result.healthy = result.interrupted == nil && result.sources.values.allSatisfy { $0.healthy == true }
            && result.steps.values.allSatisfy(\.ok)
        return result
    }

    /// Names the document had that `evaluated(at:configured:)` dropped: sources the config no longer names.
    public func sourcesDropped(by configured: [ConfiguredSource]) -> [String] {
        let names = Set(configured.map(\.name))
        return sources.keys.filter { !names.contains($0) }.sorted()
    }
}

/// The status file as `stackbackup status` shows it: evaluated for a moment,
/// with the sources the config no longer names left out.
public struct StatusReading: Sendable {
    public var status: RunStatus
    /// Sources the file holds that the config no longer names (not in `status`).
    public var dropped: [String]

    /// Reads `path` and evaluates it for `now`; `config` (when there is one)
    /// decides which sources count and their `max_age:`.
    public static func read(path: String, config: StackConfig?, now: Date, nextRun: Date? = nil) throws -> StatusReading {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RepositoryError(.notFound, "no status at \(path): `stackbackup run` has not completed yet (or the path is wrong)")
        }
        let stored: RunStatus
        do {
            stored = try RunStatus.decode(data)
        } catch {
            throw RepositoryError(.other, "the status file \(path) is not a stackbackup status document (\(error)); the next `stackbackup run` rewrites it")
        }
        let configured = config?.configuredSources
        var status = stored.evaluated(at: now, configured: configured)
        status.nextRun = nextRun
        return StatusReading(status: status, dropped: configured.map(stored.sourcesDropped) ?? [])
    }
}
