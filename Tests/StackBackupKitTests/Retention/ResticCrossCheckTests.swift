import Foundation
import StackBackupTestSupport
import Testing
@testable import StackBackupKit

/// Runs the real restic on the same timeline and compares its kept set with
/// the planner's. Skips (with the reason) when restic is not installed, except
/// under CI=true, where that is a failure.
///
/// Deliberate differences from restic, which the checks allow for by name:
/// - restic ≥ 0.15 also keeps the oldest snapshot while a count is left, the
///   planner does not (nor did restic 0.14). The small timeline below uses up
///   every count; the four-year one (+Timeline.swift) accepts that extra snapshot.
/// - Of snapshots at the same instant restic keeps whichever its unstable sort
///   puts first; the planner keeps the smallest id, so kept instants are compared.
/// - An empty policy: restic keeps everything, the planner only the newest (and
///   the policy loader refuses it), so no case here has one.
@Suite(.serialized) struct ResticCrossCheckTests {
    static let resticPath: String? = {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/restic" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// ~40 wall-clock times (Europe/Berlin): sparse over three years, the
    /// 2020 end of summer time, ISO week 53 of 2020, then dense around the
    /// 2021 start of summer time with several snapshots in one hour.
    static let times: [(String, [String])] = {
        var t: [(String, [String])] = [
            ("2018-07-01 10:00:00", []), ("2018-11-15 22:10:00", []), ("2019-03-10 04:00:00", ["special"]),
            ("2019-08-20 13:00:00", []), ("2019-12-31 23:30:00", []), ("2020-01-01 00:30:00", []),
            ("2020-05-05 05:05:00", []), ("2020-09-09 09:09:00", []),
            ("2020-10-24 23:30:00", []), ("2020-10-25 01:30:00", []), ("2020-10-25 03:30:00", []), ("2020-10-25 22:00:00", []),
            ("2020-12-27 12:00:00", []), ("2020-12-28 12:00:00", []), ("2020-12-31 18:00:00", ["special"]),
            ("2021-01-01 09:00:00", []), ("2021-01-03 20:00:00", []), ("2021-01-04 08:00:00", []),
            ("2021-01-18 03:00:00", []), ("2021-02-01 03:00:00", []), ("2021-02-15 03:00:00", []), ("2021-02-28 23:59:00", []),
        ]
        for day in 20...31 where day != 24 {
            t.append(("2021-03-\(day) 03:00:00", []))
        }
        t += [("2021-03-28 01:10:00", []), ("2021-03-28 03:05:00", []), ("2021-03-28 03:40:00", ["special"]),
              ("2021-03-31 03:20:00", []), ("2021-03-31 03:45:00", []), ("2021-04-01 00:15:00", [])]
        return t
    }()

    static let policies: [(restic: [String], policy: RetentionPolicy)] = [
        (["--keep-daily", "7", "--keep-weekly", "4", "--keep-monthly", "3"],
         RetentionPolicy(keepDaily: 7, keepWeekly: 4, keepMonthly: 3)),
        (["--keep-last", "3", "--keep-hourly", "5", "--keep-yearly", "2", "--keep-within", "20d"],
         RetentionPolicy(keepLast: 3, keepHourly: 5, keepYearly: 2, keepWithin: RetentionDuration("20d"))),
        (["--keep-weekly", "6", "--keep-monthly", "8", "--keep-tag", "special", "--keep-within", "1m5d"],
         RetentionPolicy(keepWeekly: 6, keepMonthly: 8, keepWithin: RetentionDuration("1m5d"), keepTags: ["special"])),
    ]

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    @discardableResult
    static func restic(_ arguments: [String], env: [String: String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: resticPath ?? "restic")
        process.arguments = arguments
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "restic \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return data
    }

    struct ResticSnapshot: Decodable {
        let id: String
        let time: String
        let tags: [String]?
    }

    struct ForgetGroup: Decodable {
        let keep: [ResticSnapshot]?
        let remove: [ResticSnapshot]?
    }

    static func parseTime(_ text: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        throw Failure(description: "cannot parse restic time \(text)")
    }

    /// False (after saying why) when restic is missing; under CI=true that is a failure.
    static func resticIsAvailable() -> Bool {
        guard resticPath == nil else { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("restic is not installed, and CI=true requires this cross-check (apt-get install restic)")
        } else {
            print("skipping restic cross-check: restic is not installed (apt-get install restic)")
        }
        return false
    }

    /// restic's environment for a scratch repository in `dir`, in Berlin time.
    static func environment(_ dir: TemporaryDirectory) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["RESTIC_PASSWORD"] = "cross-check"
        env["RESTIC_REPOSITORY"] = dir.sub("repo")
        env["RESTIC_CACHE_DIR"] = dir.sub("cache")
        env["TZ"] = "Europe/Berlin"
        env["RESTIC_PASSWORD_FILE"] = nil
        env["RESTIC_PASSWORD_COMMAND"] = nil
        return env
    }

    @Test func keptSetsMatchResticForget() throws {
        guard Self.resticIsAvailable() else { return }
        let dir = TemporaryDirectory("stackbackup-restic")
        try dir.write("data/file", "tiny")
        let env = Self.environment(dir)
        try Self.restic(["init", "-q"], env: env)
        let backupEnv = env

        // Backups take shared locks, so a few can run at once.
        let group = DispatchGroup()
        let errors = LockedErrors()
        let slots = DispatchSemaphore(value: 4)
        for (time, tags) in Self.times {
            slots.wait()
            group.enter()
            DispatchQueue.global().async {
                defer { slots.signal(); group.leave() }
                var args = ["backup", "-q", "--time", time, "--host", "h"]
                for tag in tags { args += ["--tag", tag] }
                do { try Self.restic(args + [dir.sub("data")], env: backupEnv) } catch { errors.append(error) }
            }
        }
        group.wait()
        if let first = errors.first { throw first }

        let listed = try JSONDecoder().decode([ResticSnapshot].self, from: Self.restic(["snapshots", "--json"], env: env))
        try #require(listed.count == Self.times.count)
        let candidates = try listed.map { RetentionCandidate(id: $0.id, time: try Self.parseTime($0.time), tags: $0.tags ?? []) }
        let zone = try #require(TimeZone(identifier: "Europe/Berlin"))

        for (flags, policy) in Self.policies {
            let output = try Self.restic(["forget", "--dry-run", "--json"] + flags, env: env)
            let groups = try JSONDecoder().decode([ForgetGroup].self, from: output)
            let resticKept = Set(groups.flatMap { $0.keep ?? [] }.map(\.id))
            let decisions = RetentionPlanner.apply(policy, to: candidates, now: Date(), timeZone: zone)
            let ours = Set(decisions.filter(\.keep).map(\.id))
            let timeOf = Dictionary(uniqueKeysWithValues: listed.map { ($0.id, $0.time) })
            #expect(ours == resticKept, """
                policy \(flags.joined(separator: " ")): \
                only restic keeps \(resticKept.subtracting(ours).compactMap { timeOf[$0] }.sorted()), \
                only stackbackup keeps \(ours.subtracting(resticKept).compactMap { timeOf[$0] }.sorted())
                """)
            #expect(ours.count > 3 && ours.count < candidates.count, "the policy should remove some and keep some")
        }
    }
}

/// Errors collected from concurrent restic runs.
final class LockedErrors: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []

    func append(_ error: Error) {
        lock.lock()
        errors.append(error)
        lock.unlock()
    }

    var first: Error? {
        lock.lock()
        defer { lock.unlock() }
        return errors.first
    }
}
