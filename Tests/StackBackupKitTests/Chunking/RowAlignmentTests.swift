import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite struct RowAlignmentTests {
    static let parameters = try! ChunkerParameters(minSize: 1024, averageSize: 4096, maxSize: 16384)

    /// COPY-like text: rows of random printable bytes of 1...`maxRow` bytes, each ending in a newline.
    static func rows(_ count: Int, maxRow: Int = 300, seed: UInt64 = 1) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        var out: [UInt8] = []
        for _ in 0..<count {
            let length = 1 + Int(random.next() % UInt64(maxRow))
            for _ in 0..<length { out.append(0x20 + UInt8(random.next() % 90)) }
            out.append(0x0A)
        }
        return out
    }

    static func chunkLengths(_ data: [UInt8], piece: Int) throws -> [Int] {
        var chunker = FastCDC(parameters: parameters, gear: try GearTable(seed: SecretBytes([UInt8](repeating: 3, count: 32))))
        var lengths: [Int] = []
        var current = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let end = min(raw.count, offset + piece)
                var start = offset
                while start < end {
                    if let cut = chunker.findRowAlignedCut(in: UnsafeRawBufferPointer(rebasing: raw[start..<end])) {
                        lengths.append(current + cut)
                        current = 0
                        start += cut
                    } else {
                        current += end - start
                        start = end
                    }
                }
                offset = end
            }
        }
        if current > 0 { lengths.append(current) }
        return lengths
    }

    @Test func everyChunkEndsAtARowEnd() throws {
        let data = Self.rows(5000)
        let lengths = try Self.chunkLengths(data, piece: 1 << 20)
        #expect(lengths.count > 20)
        var offset = 0
        for length in lengths {
            offset += length
            #expect(data[offset - 1] == 0x0A)
            #expect(length > Self.parameters.minSize && length <= Self.parameters.maxSize + 301)
        }
        #expect(offset == data.count)
    }

    @Test(arguments: [1, 13, 5000])
    func pieceSizeDoesNotChangeRowAlignedCuts(_ piece: Int) throws {
        let data = Self.rows(3000, seed: 2)
        #expect(try Self.chunkLengths(data, piece: piece) == Self.chunkLengths(data, piece: data.count))
    }

    @Test func aRowLongerThanTwiceMaxSizeIsCutAnyway() throws {
        let data = [UInt8](repeating: 0x41, count: 100_000) + [0x0A]
        let lengths = try Self.chunkLengths(data, piece: 4096)
        for length in lengths { #expect(length <= 2 * Self.parameters.maxSize) }
        #expect(lengths.reduce(0, +) == data.count)
    }

    @Test func changedRowsLeaveOtherChunksUnchanged() throws {
        let original = Self.rows(20000, seed: 3)
        var edited = original
        edited.replaceSubrange(50_000..<50_010, with: Array("0123456789ABCDEF".utf8))
        func chunks(_ data: [UInt8]) throws -> [ArraySlice<UInt8>] {
            var offset = 0
            return try Self.chunkLengths(data, piece: 65536).map { length in
                defer { offset += length }
                return data[offset..<offset + length]
            }
        }
        let before = Set(try chunks(original))
        let after = try chunks(edited)
        #expect(after.filter { !before.contains($0) }.count <= 2)
    }
}
