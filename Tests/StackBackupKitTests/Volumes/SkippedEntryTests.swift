import Foundation
@testable import StackBackupKit
import Testing

@Suite("Skipped entries")
struct SkippedEntryTests {
    @Test func theErrnoOfAFailedCallSaysWhatHappened() {
        func reason(_ code: Int32) -> SkippedEntry.Reason {
            SkippedEntry(path: "a", error: VolumeError.system("open", path: Array("a".utf8), errno: code)).reason
        }
        #expect(reason(ENOENT) == .vanished)
        #expect(reason(ENAMETOOLONG) == .nameTooLong)
        #expect(reason(EACCES) == .unreadable)
        #expect(reason(EIO) == .unreadable)
        let entry = SkippedEntry(path: "a", error: VolumeError.system("open", path: Array("a".utf8), errno: EACCES))
        #expect(entry.error == "open: Permission denied")
    }

    @Test func theSummaryNamesTwentyThenCountsTheRest() {
        let entries = (0..<25).map { SkippedEntry(path: "f\($0)", reason: .vanished) }
        let line = SkippedEntry.summary(of: entries, seeAlso: "--json")
        #expect(line.hasPrefix("25 entries skipped: f0 (vanished before it was read), f1 ("))
        #expect(line.contains("f19 (") && !line.contains("f20 ("))
        #expect(line.hasSuffix(", and 5 more, see --json"))
        let one = SkippedEntry.summary(of: [SkippedEntry(path: "locked", reason: .unreadable, error: "opendir: Permission denied", folder: true)], seeAlso: "--json")
        #expect(one == "1 entry skipped: locked/ (unreadable, recorded empty: opendir: Permission denied)")
    }

    @Test func snapshotStatsWithoutTheCountDecodeAsBefore() throws {
        let old = #"{"filesNew":1,"filesChanged":0,"filesUnchanged":0,"directories":1,"bytesRead":1,"bytesTotal":1,"bytesAdded":1,"blobsAdded":1,"durationSeconds":0}"#
        let stats = try JSONDecoder().decode(SnapshotStats.self, from: Data(old.utf8))
        #expect(stats.entriesSkipped == nil)
        let encoded = String(decoding: try JSONEncoder().encode(stats), as: UTF8.self)
        #expect(!encoded.contains("entriesSkipped"), "a whole snapshot's document gains no field: \(encoded)")
    }
}
