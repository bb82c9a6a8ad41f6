#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import StackBackupKit
import StackBackupTestSupport
import Testing

@Suite struct DirectoryHandleTests {
    @Test func removingAFolderRemovesTheSymlinksInItNotWhatTheyPointTo() throws {
        let place = TemporaryDirectory("stackbackup-fd")
        try FileTree.mkdir(Array(place.sub("outside").utf8))
        try FileTree.write(Array(place.sub("outside/keep").utf8), Array("keep\n".utf8))
        try FileTree.mkdir(Array(place.sub("doomed").utf8))
        try FileTree.mkdir(Array(place.sub("doomed/locked").utf8), mode: 0o000)
        try FileTree.symlink(Array(place.sub("doomed/dir-link").utf8), to: Array(place.sub("outside").utf8))
        try FileTree.symlink(Array(place.sub("doomed/file-link").utf8), to: Array(place.sub("outside/keep").utf8))

        let root = try DirectoryHandle.open(Array(place.path.utf8), followSymlink: false)
        try root.removeTree(Array("doomed".utf8))
        #expect(try root.list().map { String(decoding: $0, as: UTF8.self) } == ["outside"])
        #expect(try String(contentsOfFile: place.sub("outside/keep"), encoding: .utf8) == "keep\n")
    }

    @Test func aChainDeeperThanItsWindowHoldsFewDescriptorsAndClimbsBack() throws {
        let place = TemporaryDirectory("stackbackup-chain")
        let depth = DirectoryChain.window * 3
        let path = (0..<depth).map { "d\($0)" }.joined(separator: "/")
        try FileManager.default.createDirectory(atPath: place.sub(path), withIntermediateDirectories: true)

        let budget = DescriptorBudget(limit: 1_000)
        let root = try DirectoryHandle.open(Array(place.path.utf8), followSymlink: false)
        var chain = DirectoryChain(root: root, status: try root.status(), budget: budget)
        for level in 0..<depth {
            try chain.push(name: Array("d\(level)".utf8))
            #expect(budget.open <= DirectoryChain.window)
        }
        #expect(try chain.top().display == Array(place.sub(path).utf8))
        for level in stride(from: depth - 1, through: 1, by: -1) {
            try chain.pop()
            // Reopened through "..": the same folder, with its own path for messages.
            #expect(try chain.top().list() == [Array("d\(level)".utf8)])
        }
        try chain.pop()
        #expect(chain.depth == 0)
        #expect(try chain.top().list() == [Array("d0".utf8)])
    }

    @Test func aFolderReplacedBetweenStatAndOpenIsRefused() throws {
        let place = TemporaryDirectory("stackbackup-swap")
        try FileTree.mkdir(Array(place.sub("a").utf8))
        let root = try DirectoryHandle.open(Array(place.path.utf8), followSymlink: false)
        let seen = try root.status(of: Array("a".utf8))
        try FileManager.default.moveItem(atPath: place.sub("a"), toPath: place.sub("b"))
        try FileTree.mkdir(Array(place.sub("a").utf8))
        var chain = DirectoryChain(root: root, status: try root.status())
        #expect(throws: VolumeError.self) { try chain.push(name: Array("a".utf8), expected: seen) }
    }

    @Test func aSymlinkWhereAFolderIsExpectedIsNotOpened() throws {
        let place = TemporaryDirectory("stackbackup-nofollow")
        try FileTree.mkdir(Array(place.sub("real").utf8))
        try FileTree.symlink(Array(place.sub("link").utf8), to: Array(place.sub("real").utf8))
        let root = try DirectoryHandle.open(Array(place.path.utf8), followSymlink: false)
        #expect(throws: VolumeError.self) { try root.openDirectory(Array("link".utf8)) }
        #expect(throws: VolumeError.self) { try root.openFile(Array("link".utf8), flags: O_RDONLY) }
        #expect(throws: VolumeError.self) { try DirectoryHandle.open(Array(place.sub("link").utf8), followSymlink: false) }
    }
}
