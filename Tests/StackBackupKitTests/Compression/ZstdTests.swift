import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite struct ZstdTests {
    /// Text-like data: words from a small vocabulary chosen by a seeded generator.
    static func compressibleText(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
        let words = ["backup", "snapshot", "postgres", "volume", "chunk", "index", "pack", "restore", "the", "a", "of", "nightly"]
            .map { Array($0.utf8) + [0x20] }
        var random = SeededRandom(seed: seed)
        var out = [UInt8]()
        out.reserveCapacity(count + 16)
        while out.count < count { out += words[Int(random.next() % UInt64(words.count))] }
        return Array(out.prefix(count))
    }

    @Test(arguments: [0, 1, 100, 70_000])
    func roundTripsSmallInputs(_ size: Int) throws {
        var random = SeededRandom(seed: UInt64(size))
        let input = random.bytes(size)
        let compressed = try ZstdCompressor().compress(input)
        #expect(try ZstdDecompressor().decompress(compressed, expectedSize: size) == input)
    }

    @Test func roundTripsTenMegabytesOfTextAndShrinksThem() throws {
        let input = Self.compressibleText(10_000_000)
        let compressed = try ZstdCompressor().compress(input)
        #expect(compressed.count < input.count / 3)
        #expect(try ZstdDecompressor().decompress(compressed, expectedSize: input.count) == input)
    }

    @Test func oneCompressorAndDecompressorServeManyInputs() throws {
        let compressor = try ZstdCompressor(level: 1)
        let decompressor = try ZstdDecompressor()
        for seed in 0..<10 as Range<UInt64> {
            let input = Self.compressibleText(1000 + Int(seed) * 997, seed: seed)
            #expect(try decompressor.decompress(compressor.compress(input), expectedSize: input.count) == input)
        }
    }

    @Test func rejectsCompressionLevelsOutsideZstdsRange() {
        #expect(throws: ZstdError.self) { try ZstdCompressor(level: 99) }
    }

    @Test func wrongExpectedSizeThrows() throws {
        let input = Self.compressibleText(5000)
        let compressed = try ZstdCompressor().compress(input)
        let decompressor = try ZstdDecompressor()
        for size in [0, 4999, 5001, 1 << 40, -1] {
            #expect(throws: ZstdError.self) { try decompressor.decompress(compressed, expectedSize: size) }
        }
        // The decompressor still works after the failures.
        #expect(try decompressor.decompress(compressed, expectedSize: 5000) == input)
    }

    @Test func corruptInputThrowsInsteadOfCrashing() throws {
        let input = Self.compressibleText(50_000)
        let compressed = try ZstdCompressor().compress(input)
        let decompressor = try ZstdDecompressor()
        #expect(throws: ZstdError.self) { try decompressor.decompress([], expectedSize: 0) }
        #expect(throws: ZstdError.self) { try decompressor.decompress([1, 2, 3, 4, 5, 6, 7, 8], expectedSize: 8) }
        #expect(throws: ZstdError.self) { try decompressor.decompress(Array(compressed.prefix(compressed.count / 2)), expectedSize: input.count) }
        #expect(throws: ZstdError.self) { try decompressor.decompress(compressed + [0xff, 0xee], expectedSize: input.count) }
        // Flip bytes throughout the frame: every result is either an error or (rarely) a same-size output.
        var random = SeededRandom(seed: 3)
        for _ in 0..<200 {
            var damaged = compressed
            let position = Int(random.next() % UInt64(damaged.count))
            damaged[position] ^= UInt8(truncatingIfNeeded: random.next() | 1)
            if let output = try? decompressor.decompress(damaged, expectedSize: input.count) {
                #expect(output.count == input.count)
            }
        }
    }

    @Test func randomDataIsNotWorthCompressing() throws {
        var random = SeededRandom(seed: 11)
        let input = random.bytes(1 << 20)
        let compressor = try ZstdCompressor()
        #expect(!input.withUnsafeBytes { CompressionDecision.worthCompressing($0, compressor: compressor) })
    }

    @Test func textIsWorthCompressing() throws {
        let input = Self.compressibleText(1 << 20)
        let compressor = try ZstdCompressor()
        #expect(input.withUnsafeBytes { CompressionDecision.worthCompressing($0, compressor: compressor) })
    }

    /// Float vectors (pgvector's binary COPY: big-endian float4 in [-1, 1]) save
    /// only a little, through their shared exponent bits: the fast level.
    @Test func floatVectorsAreCompressedAtTheFastLevel() throws {
        var random = SeededRandom(seed: 12)
        var input: [UInt8] = []
        for _ in 0..<(1 << 18) {
            let value = Float(random.bytes(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }) / Float(UInt32.max) * 2 - 1
            withUnsafeBytes(of: value.bitPattern.bigEndian) { input.append(contentsOf: $0) }
        }
        let compressor = try ZstdCompressor()
        #expect(input.withUnsafeBytes { CompressionDecision.choose($0, compressor: compressor) } == .fast)
        #expect(Self.compressibleText(1 << 20).withUnsafeBytes { CompressionDecision.choose($0, compressor: compressor) } == .full)
        // A repository at level 1 has no faster level to fall back to.
        let level1 = try ZstdCompressor(level: 1)
        #expect(input.withUnsafeBytes { CompressionDecision.choose($0, compressor: level1) } == .full)
    }

    @Test func inputsUnder512BytesAreNeverCompressed() throws {
        let input = [UInt8](repeating: 0, count: 511)
        let compressor = try ZstdCompressor()
        #expect(!input.withUnsafeBytes { CompressionDecision.worthCompressing($0, compressor: compressor) })
    }

    @Test func errorsNameTheFailingFunction() throws {
        let error = try #require(throws: ZstdError.self) { try ZstdDecompressor().decompress([9, 9, 9, 9, 9, 9], expectedSize: 6) }
        #expect(!error.function.isEmpty)
        #expect(error.description.contains(error.function))
    }
}
