import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite struct FastCDCTests {
    static let seed = SecretBytes(Array(0..<32))
    /// Small sizes so short streams give many chunks.
    static let small = try! ChunkerParameters(minSize: 4096, averageSize: 16384, maxSize: 65536)

    /// Chunk lengths of `data`, fed to the chunker in pieces of `piece` bytes.
    static func chunkLengths(_ data: [UInt8], _ parameters: ChunkerParameters, seed: SecretBytes = seed, piece: Int = 1 << 20) throws -> [Int] {
        var chunker = FastCDC(parameters: parameters, gear: try GearTable(seed: seed))
        var lengths: [Int] = []
        var current = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let end = min(raw.count, offset + piece)
                var start = offset
                while start < end {
                    let window = UnsafeRawBufferPointer(rebasing: raw[start..<end])
                    if let cut = chunker.findCut(in: window) {
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

    @Test func cutPointsForSeededDataAreStable() throws {
        var random = SeededRandom(seed: 1)
        let data = random.bytes(400_000)
        let lengths = try Self.chunkLengths(data, Self.small)
        #expect(Array(lengths.prefix(12)) == [23486, 19898, 16842, 17713, 6880, 21529, 13106, 11380, 20342, 4115, 16516, 9165])
    }

    @Test func chunkSizesStayWithinBoundsExceptTheLast() throws {
        var random = SeededRandom(seed: 2)
        let data = random.bytes(4_000_000)
        let p = Self.small
        let lengths = try Self.chunkLengths(data, p)
        #expect(lengths.reduce(0, +) == data.count)
        for length in lengths.dropLast() { #expect(length >= p.minSize && length <= p.maxSize) }
        #expect(lengths.last! <= p.maxSize)
        // Normalized chunking keeps the mean near the target.
        let mean = Double(data.count) / Double(lengths.count)
        #expect(mean > Double(p.averageSize) * 0.7 && mean < Double(p.averageSize) * 1.6)
    }

    @Test func zeroFilledDataIsCutAtMaxSize() throws {
        let p = Self.small
        let lengths = try Self.chunkLengths([UInt8](repeating: 0, count: p.maxSize * 3 + 10), p)
        #expect(lengths == [p.maxSize, p.maxSize, p.maxSize, 10])
    }

    @Test(arguments: [1, 7, 100_000])
    func pieceSizeDoesNotChangeTheCuts(_ piece: Int) throws {
        var random = SeededRandom(seed: 3)
        let data = random.bytes(piece == 1 ? 600_000 : 3_000_000)
        #expect(try Self.chunkLengths(data, Self.small, piece: piece) == Self.chunkLengths(data, Self.small, piece: data.count))
    }

    @Test func anInsertionNearTheStartChangesOnlyTheChunksAroundIt() throws {
        var random = SeededRandom(seed: 4)
        let original = random.bytes(64 << 20)
        var edited = original
        edited.insert(contentsOf: [UInt8](repeating: 0x5a, count: 10), at: 100_000)
        let p = ChunkerParameters.database
        func chunkIDs(_ data: [UInt8]) throws -> [ObjectID] {
            let lengths = try Self.chunkLengths(data, p)
            var ids: [ObjectID] = []
            var offset = 0
            data.withUnsafeBytes { raw in
                for length in lengths {
                    ids.append(SHA256.hash(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + length])))
                    offset += length
                }
            }
            return ids
        }
        let before = Set(try chunkIDs(original))
        let after = try chunkIDs(edited)
        let shared = after.filter { before.contains($0) }.count
        #expect(Double(shared) / Double(after.count) >= 0.95)
        #expect(after.count - shared <= 2)
    }

    @Test func differentSeedsGiveDifferentCuts() throws {
        var random = SeededRandom(seed: 5)
        let data = random.bytes(1_000_000)
        let a = try Self.chunkLengths(data, Self.small, seed: SecretBytes([UInt8](repeating: 1, count: 32)))
        let b = try Self.chunkLengths(data, Self.small, seed: SecretBytes([UInt8](repeating: 2, count: 32)))
        #expect(a != b)
    }

    @Test func resetStartsANewStream() throws {
        var random = SeededRandom(seed: 6)
        let data = random.bytes(200_000)
        var chunker = FastCDC(parameters: Self.small, gear: try GearTable(seed: Self.seed))
        let first = data.withUnsafeBytes { chunker.findCut(in: UnsafeRawBufferPointer(rebasing: $0[..<5000])) }
        #expect(first == nil)
        #expect(chunker.bytesInCurrentChunk == 5000)
        chunker.reset()
        #expect(chunker.bytesInCurrentChunk == 0)
        let fresh = FastCDC(parameters: Self.small, gear: try GearTable(seed: Self.seed))
        var copy = fresh
        let a = data.withUnsafeBytes { chunker.findCut(in: $0) }
        let b = data.withUnsafeBytes { copy.findCut(in: $0) }
        #expect(a == b)
    }

    @Test func gearTableNeedsA32ByteSeed() {
        #expect(throws: CryptoError.self) { try GearTable(seed: SecretBytes([1, 2, 3])) }
    }

    @Test func parametersValidateTheirSizes() {
        #expect(throws: ChunkingError.self) { try ChunkerParameters(minSize: 4096, averageSize: 3000, maxSize: 65536) }
        #expect(throws: ChunkingError.self) { try ChunkerParameters(minSize: 20000, averageSize: 16384, maxSize: 65536) }
        #expect(throws: ChunkingError.self) { try ChunkerParameters(minSize: 4096, averageSize: 16384, maxSize: 16384) }
        #expect(throws: ChunkingError.self) { try ChunkerParameters(minSize: 0, averageSize: 16384, maxSize: 65536) }
        #expect(ChunkerParameters.volumes.averageSize == 1 << 20)
        #expect(ChunkerParameters.database.minSize == 64 << 10)
    }

    @Test func parametersUseSnakeCaseJSONKeysAndValidateWhenDecoded() throws {
        let json = try JSONEncoder().encode(ChunkerParameters.database)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"min_size\":65536") && text.contains("\"avg_size\":262144") && text.contains("\"max_size\":1048576"))
        #expect(try JSONDecoder().decode(ChunkerParameters.self, from: json) == .database)
        let bad = Data(#"{"min_size":10,"avg_size":262144,"max_size":1048576}"#.utf8)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(ChunkerParameters.self, from: bad) }
    }
}
