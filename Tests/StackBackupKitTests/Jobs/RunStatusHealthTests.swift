import Foundation
import Testing
@testable import StackBackupKit

/// The status document's health: max ages from the config, states, dropped
/// sources, and files written before the health fields existed.
@Suite("Run status health")
struct RunStatusHealthTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A status file as version 1 wrote it (no health fields, no last_failure).
    static let versionOne = """
        {"exit_code":0,"run_finished":"2026-01-01T03:20:00Z","run_started":"2026-01-01T03:15:00Z","sources":{
          "media":{"bytes_added":10,"bytes_read":20,"bytes_total":30,"duration_seconds":1.5,"kind":"volume",
                   "last_attempt":"2026-01-01T03:16:00Z","last_success":"2026-01-01T03:16:01Z"},
          "umami":{"bytes_added":0,"bytes_read":0,"bytes_total":0,"duration_seconds":0.1,"error":"connection refused",
                   "kind":"postgres","last_attempt":"2026-01-01T03:15:01Z"}},
         "steps":{"forget":{"detail":"removed 0 snapshot(s) by policy","last_run":"2026-01-01T03:20:00Z","ok":true}},
         "version":1}
        """

    @Test func aVersionOneFileDecodesAndIsJudgedForNow() throws {
        let stored = try RunStatus.decode(Data(Self.versionOne.utf8))
        let media = try #require(stored.sources["media"]?.lastSuccess)
        let status = stored.evaluated(at: media.addingTimeInterval(36 * 86_400), configured: nil)
        #expect(status.version == RunStatus.currentVersion)
        #expect(status.sources["media"]?.state == "stale")
        #expect(status.sources["media"]?.age == "36 days")
        #expect(status.sources["media"]?.maxAgeSeconds == StackConfig.nightlyMaxAge)
        #expect(status.sources["umami"]?.state == "failed")
        #expect(status.healthy == false)
        let fresh = stored.evaluated(at: media.addingTimeInterval(25 * 3_600), configured: nil)
        #expect(fresh.sources["media"]?.state == "ok" && fresh.sources["media"]?.age == "25 hours")
    }

    @Test func theConfigDecidesWhichSourcesCountAndTheirMaxAge() throws {
        let config = try StackConfig.parse(yaml: """
            postgres:
              max_age: 3d
              databases: [immich, {name: umami, max_age: 8d}]
            volumes:
              media: {path: /srv/media, max_age: 2w}
              fresh: /srv/fresh
            """, file: "/tmp/config.yml")
        #expect(config.configuredSources == [
            ConfiguredSource(name: "globals", kind: "globals", maxAge: 3 * 86_400),
            ConfiguredSource(name: "immich", kind: "postgres", maxAge: 3 * 86_400),
            ConfiguredSource(name: "umami", kind: "postgres", maxAge: 8 * 86_400),
            ConfiguredSource(name: "media", kind: "volume", maxAge: 14 * 86_400),
            ConfiguredSource(name: "fresh", kind: "volume", maxAge: StackConfig.nightlyMaxAge),
        ])
        var stored = try RunStatus.decode(Data(Self.versionOne.utf8))
        stored.sources["old-volume"] = RunStatus.Source(kind: "volume", lastAttempt: Self.now)
        let media = try #require(stored.sources["media"]?.lastSuccess)
        let status = stored.evaluated(at: media.addingTimeInterval(10 * 86_400), configured: config.configuredSources)
        #expect(Set(status.sources.keys) == ["globals", "immich", "umami", "media", "fresh"])
        #expect(stored.sourcesDropped(by: config.configuredSources) == ["old-volume"])
        #expect(status.sources["media"]?.state == "ok", "14 days allowed")
        #expect(status.sources["fresh"]?.state == "never" && status.sources["fresh"]?.lastAttempt == nil)
        #expect(status.sources["umami"]?.state == "failed")
    }

    @Test func aStoppedRunOrAFailedStepIsUnhealthy() throws {
        let stored = try RunStatus.decode(Data(Self.versionOne.utf8))
        var onlyMedia = stored
        onlyMedia.sources["umami"] = nil
        let media = try #require(stored.sources["media"]?.lastSuccess)
        #expect(onlyMedia.evaluated(at: media, configured: nil).healthy == true)
        var stopped = onlyMedia
        stopped.interrupted = "interrupted by SIGTERM; not done: forget"
        #expect(stopped.evaluated(at: media, configured: nil).healthy == false)
        var failedStep = onlyMedia
        failedStep.steps["verify"] = RunStatus.Step(lastRun: media, ok: false, detail: "damage")
        #expect(failedStep.evaluated(at: media, configured: nil).healthy == false)
    }

    @Test(arguments: [(0.0, "0 seconds"), (1, "1 second"), (89, "89 seconds"), (90, "1 minute"), (5_399, "89 minutes"),
                      (5_400, "1 hour"), (93_600, "26 hours"), (172_799, "47 hours"), (172_800, "2 days"), (36 * 86_400, "36 days")])
    func agesReadAsWords(seconds: Double, words: String) {
        #expect(HumanAge.describe(seconds) == words)
    }

    @Test func aMisspelledMaxAgeGetsDidYouMean() {
        #expect {
            _ = try StackConfig.parse(yaml: "volumes:\n  a:\n    path: /x\n    maxage: 2d\n", file: "/tmp/x.yml")
        } throws: { error in
            "\(error)".contains("unknown key 'maxage' under volume 'a' (did you mean 'max_age'?)")
        }
        #expect(throws: ConfigurationError.self) {
            _ = try StackConfig.parse(yaml: "volumes:\n  a:\n    path: /x\n    max_age: soon\n", file: "/tmp/x.yml")
        }
    }
}
