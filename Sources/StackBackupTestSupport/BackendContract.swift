import Foundation
import StackBackupKit

/// The conformance suite every `Backend` passes (after restic's
/// `internal/backend/test/suite.go`). Each check takes a fresh, empty backend
/// and throws `BackendContract.Violation` naming what broke:
///
///     @Test(arguments: BackendContract.Check.allCases)
///     func memoryBackendKeepsTheContract(_ check: BackendContract.Check) throws {
///         try BackendContract.run(check, on: MemoryBackend())
///     }
public enum BackendContract {
    public struct Violation: Error, CustomStringConvertible {
        public let description: String
    }

    public enum Check: String, CaseIterable, Sendable, CustomStringConvertible {
        case savesAndLoadsAFile
        case loadsRanges
        case refusesToOverwrite
        case reportsMissingFilesAsNotFound
        case keepsEmptyFiles
        case keepsLargeFiles
        case listsEachKindApart
        case listsManyFilesAcrossPages
        case removesFiles
        public var description: String { rawValue }
    }

    /// How many files `listsManyFilesAcrossPages` writes (more than one page
    /// when the backend's page size is below it).
    public static var manyFiles = 1200

    public static func run(_ check: Check, on backend: Backend) throws {
        var random = SeededRandom(seed: UInt64(check.rawValue.utf8.count) &* 7919)
        switch check {
        case .savesAndLoadsAFile:
            let bytes = random.bytes(4321)
            let handle = Handle(.snapshot, SHA256.hash(bytes))
            try expect(try !backend.exists(handle), "a file exists before it was saved")
            try backend.save(handle, bytes)
            try expect(try backend.exists(handle), "a saved file does not exist")
            try expect(try backend.load(handle) == bytes, "load returned other bytes than were saved")
            try expect(try backend.size(handle) == bytes.count, "size differs from the saved length")
            let config = Handle(.config, "config")
            try backend.save(config, Array("{\"version\":1}".utf8))
            try expect(try backend.exists(config), "config was saved but does not exist")

        case .loadsRanges:
            let bytes = random.bytes(100_000)
            let handle = Handle(.pack, SHA256.hash(bytes))
            try backend.save(handle, bytes)
            for (offset, length) in [(0, 1), (0, 100_000), (99_999, 1), (12_345, 54_321), (50_000, 0), (100_000, 0)] {
                let part = try backend.load(handle, offset: offset, length: length)
                try expect(part == Array(bytes[offset..<offset + length]), "ranged load \(offset)+\(length) returned other bytes")
            }
            try expectError(.shortRead, "a range beyond the end") { _ = try backend.load(handle, offset: 99_990, length: 20) }

        case .refusesToOverwrite:
            let bytes = random.bytes(1000)
            let handle = Handle(.index, SHA256.hash(bytes))
            try backend.save(handle, bytes)
            try expectError(.alreadyExists, "saving an existing file") { try backend.save(handle, random.bytes(1000)) }
            try expect(try backend.load(handle) == bytes, "a refused overwrite changed the file")

        case .reportsMissingFilesAsNotFound:
            let handle = Handle(.pack, SHA256.hash(random.bytes(8)))
            try expect(try !backend.exists(handle), "a missing file exists")
            try expectError(.notFound, "loading a missing file") { _ = try backend.load(handle) }
            try expectError(.notFound, "a ranged load of a missing file") { _ = try backend.load(handle, offset: 0, length: 4) }
            try expectError(.notFound, "the size of a missing file") { _ = try backend.size(handle) }
            try expectError(.notFound, "removing a missing file") { try backend.remove(handle) }
            try expect(try backend.list(.pack).isEmpty, "an empty backend lists packs")

        case .keepsEmptyFiles:
            let handle = Handle(.lock, SHA256.hash([UInt8]()))
            try backend.save(handle, [])
            try expect(try backend.load(handle) == [], "an empty file loads as bytes")
            try expect(try backend.size(handle) == 0, "an empty file has a size")
            try expect(try backend.load(handle, offset: 0, length: 0) == [], "a 0-byte range of an empty file is not empty")
            try expect(try backend.list(.lock).map { $0.size } == [0], "an empty file is not listed with size 0")

        case .keepsLargeFiles:
            let bytes = random.bytes(20_000_000)
            let handle = Handle(.pack, SHA256.hash(bytes))
            try backend.save(handle, bytes)
            try expect(try backend.size(handle) == bytes.count, "a 20 MB file has another size")
            let loaded = try backend.load(handle)
            try expect(loaded.count == bytes.count && SHA256.hash(loaded) == handle.name.asID, "a 20 MB file loads with other bytes")
            let middle = try backend.load(handle, offset: 9_999_000, length: 2_000_000)
            try expect(middle == Array(bytes[9_999_000..<11_999_000]), "a range in the middle of a 20 MB file differs")

        case .listsEachKindApart:
            var expected: [FileKind: [String: Int]] = [:]
            for kind in FileKind.allCases where kind != .config {
                for n in 0..<3 {
                    let bytes = random.bytes(10 + n)
                    let name = kind == .key ? "key\(n)" : SHA256.hash(bytes).hex
                    try backend.save(Handle(kind, name), bytes)
                    expected[kind, default: [:]][name] = bytes.count
                }
            }
            try backend.save(Handle(.config, "config"), [1, 2, 3])
            expected[.config] = ["config": 3]
            for kind in FileKind.allCases {
                let listed = try backend.list(kind)
                let found = Dictionary(listed.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a })
                try expect(listed.count == found.count && found == expected[kind], "list(\(kind)) returned \(found), expected \(expected[kind] ?? [:])")
            }

        case .listsManyFilesAcrossPages:
            let count = manyFiles
            let names = (0..<count).map { SHA256.hash(Array("file \($0)".utf8)).hex }
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 8) { worker in
                for i in stride(from: worker, to: count, by: 8) {
                    do { try backend.save(Handle(.index, names[i]), Array("file \(i)".utf8)) } catch { failures.add(error) }
                }
            }
            if let first = failures.first { throw first }
            let listed = try backend.list(.index)
            try expect(listed.count == count, "list returned \(listed.count) of \(count) files")
            try expect(Set(listed.map(\.name)) == Set(names), "list returned other names than were saved")

        case .removesFiles:
            let bytes = random.bytes(64)
            let handle = Handle(.snapshot, SHA256.hash(bytes))
            try backend.save(handle, bytes)
            try backend.remove(handle)
            try expect(try !backend.exists(handle), "a removed file still exists")
            try expectError(.notFound, "loading a removed file") { _ = try backend.load(handle) }
            try expectError(.notFound, "removing a removed file") { try backend.remove(handle) }
            try expect(try backend.list(.snapshot).isEmpty, "a removed file is still listed")
            try backend.save(handle, bytes) // a name can be used again after removal
        }
    }

    private final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var errors: [Error] = []
        func add(_ error: Error) { lock.withLock { errors.append(error) } }
        var first: Error? { lock.withLock { errors.first } }
    }

    private static func expect(_ condition: @autoclosure () throws -> Bool, _ message: String) throws {
        guard try condition() else { throw Violation(description: message) }
    }

    private static func expectError(_ code: BackendError.Code, _ what: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as BackendError {
            guard error.code == code else {
                throw Violation(description: "\(what) threw \(error.code) (\(error)), expected \(code)")
            }
            return
        }
        throw Violation(description: "\(what) did not throw \(code)")
    }
}

private extension String {
    var asID: ObjectID? { ObjectID(hex: self) }
}
