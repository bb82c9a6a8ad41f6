import Testing
@testable import StackBackupKit

@Suite("Glob patterns")
struct GlobPatternTests {
    @Test func aPatternWithoutSlashMatchesNamesAtAnyDepth() throws {
        let p = try GlobPattern("*.log")
        #expect(p.matches("a.log"))
        #expect(p.matches("x/y/b.log"))
        #expect(!p.matches("x/log"))
        #expect(!p.matches("a.log.gz"))
    }

    @Test func aPatternWithSlashIsAnchoredAtTheRoot() throws {
        let p = try GlobPattern("cache/*.tmp")
        #expect(p.matches("cache/a.tmp"))
        #expect(!p.matches("x/cache/a.tmp"))
        #expect(!p.matches("cache/sub/a.tmp"))
        #expect(try GlobPattern("/top").matches("top"))
        #expect(!(try GlobPattern("/top").matches("a/top")))
    }

    @Test func doubleStarMatchesAnyNumberOfSegments() throws {
        let p = try GlobPattern("library/**/thumbs")
        #expect(p.matches("library/thumbs"))
        #expect(p.matches("library/a/b/thumbs"))
        #expect(!p.matches("other/a/thumbs"))
        #expect(try GlobPattern("**/*.db").matches("a/b/c.db"))
        #expect(try GlobPattern("**/*.db").matches("c.db"))
    }

    @Test func questionMarkAndClassesMatchOneByte() throws {
        #expect(try GlobPattern("file?.txt").matches("file1.txt"))
        #expect(!(try GlobPattern("file?.txt").matches("file12.txt")))
        #expect(try GlobPattern("[a-c]x").matches("bx"))
        #expect(!(try GlobPattern("[a-c]x").matches("dx")))
        #expect(try GlobPattern("[!a-c]x").matches("dx"))
        #expect(try GlobPattern("[^a-c]x").matches("dx"))
        #expect(try GlobPattern("\\*").matches("*"))
        #expect(!(try GlobPattern("\\*").matches("a")))
    }

    @Test func starBacktracksWithinASegment() throws {
        #expect(try GlobPattern("a*b*c").matches("aXbYbZc"))
        #expect(!(try GlobPattern("a*b*c").matches("aXbYbZ")))
        #expect(try GlobPattern("*").matches("anything"))
        #expect(!(try GlobPattern("/*").matches("a/b")))
    }

    @Test func aTrailingSlashMatchesFoldersOnly() throws {
        let p = try GlobPattern("tmp/")
        #expect(p.matches("tmp", isDirectory: true))
        #expect(!p.matches("tmp", isDirectory: false))
    }

    @Test func nonUTF8NamesMatchByBytes() throws {
        let p = try GlobPattern("*.bin")
        #expect(p.matches([0xFF, 0xFE, 0x2E, 0x62, 0x69, 0x6E], isDirectory: false))
    }

    @Test func malformedPatternsAreRejected() {
        #expect(throws: VolumeError.self) { try GlobPattern("[abc") }
        #expect(throws: VolumeError.self) { try GlobPattern("") }
    }
}
