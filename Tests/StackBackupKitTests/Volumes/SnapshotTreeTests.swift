import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite("Snapshot listing and diff")
struct SnapshotTreeTests {
    typealias F = VolumeFixtures

    @Test func listShowsEveryEntryUnderAPathRecursively() throws {
        let dir = TemporaryDirectory()
        try dir.write("src/a.txt", "a")
        try dir.write("src/d/b.txt", "bb")
        try dir.write("src/d/e/c.txt", "ccc")
        _ = symlink("a.txt", dir.sub("src/l"))
        let store = MemoryBlobStore()
        let result = try VolumeArchiver(store: store, options: F.options()).archive(path: dir.sub("src"), parentTree: nil)

        let all = try SnapshotTree.list(store: store, tree: result.tree, path: nil)
        #expect(all.map(\.displayPath) == ["a.txt", "d", "d/b.txt", "d/e", "d/e/c.txt", "l"])
        #expect(all.last?.node.type == .symlink && all.last?.node.linkTarget == Array("a.txt".utf8))
        let sub = try SnapshotTree.list(store: store, tree: result.tree, path: "d/e")
        #expect(sub.map(\.displayPath) == ["d/e", "d/e/c.txt"])
        #expect(sub.last?.node.size == 3)
        let one = try SnapshotTree.list(store: store, tree: result.tree, path: "d/b.txt")
        #expect(one.map(\.displayPath) == ["d/b.txt"])
        #expect(throws: VolumeError.self) { try SnapshotTree.list(store: store, tree: result.tree, path: "missing") }
    }

    @Test func diffNamesAddedRemovedModifiedAndRetypedEntries() throws {
        let dir = TemporaryDirectory()
        try dir.write("src/same.txt", "same")
        try dir.write("src/changed.txt", "v1")
        try dir.write("src/gone/x.txt", "x")
        try dir.write("src/retyped", "file first")
        try dir.write("src/untouched/deep/y.txt", "y")
        let store = MemoryBlobStore()
        let v1 = try VolumeArchiver(store: store, options: F.options()).archive(path: dir.sub("src"), parentTree: nil)

        try dir.write("src/changed.txt", "v2 longer")
        try FileManager.default.removeItem(atPath: dir.sub("src/gone"))
        try FileManager.default.removeItem(atPath: dir.sub("src/retyped"))
        try F.mkdir(Array(dir.sub("src/retyped").utf8))
        try dir.write("src/new/z.txt", "z")
        let v2 = try VolumeArchiver(store: store, options: F.options()).archive(path: dir.sub("src"), parentTree: v1.tree)

        let changes = try SnapshotTree.diff(store: store, old: v1.tree, new: v2.tree)
        let lines = changes.map { "\($0.kind.rawValue) \($0.displayPath)" }
        #expect(lines == ["modified changed.txt", "removed gone", "removed gone/x.txt",
                          "added new", "added new/z.txt", "type_changed retyped"])

        // Equal subtrees are skipped without loading them.
        store.resetCounters()
        #expect(try SnapshotTree.diff(store: store, old: v2.tree, new: v2.tree).isEmpty)
        #expect(store.loads(.tree) == 0)
    }
}
