// Chunking/ owns content-defined chunking: FastCDC over a gear table keyed by
// the repository's chunker seed, and the chunk size parameters stored in the
// repository config. It cuts byte streams; it does not read files or hash chunks.

/// Streaming FastCDC: gear rolling hash with normalized chunking level 2
/// (a mask two bits stricter than the average below `averageSize`, two bits
/// looser above it), so chunk sizes cluster around the average.
///
/// A value type holding only the cut state; one per stream, not shared.
public struct FastCDC: Sendable {
    public let parameters: ChunkerParameters
    private let gear: GearTable
    private let maskStrict: UInt64
    private let maskLoose: UInt64
    /// Bytes of the current chunk seen so far.
    var position = 0
    var hash: UInt64 = 0

    public init(parameters: ChunkerParameters, gear: GearTable) {
        self.parameters = parameters
        self.gear = gear
        let bits = parameters.averageSize.trailingZeroBitCount
        maskStrict = FastCDC.mask(bits: bits + 2)
        maskLoose = FastCDC.mask(bits: bits - 2)
    }

    /// `bits` ones just below the top bit. High bits of a gear hash depend on
    /// the last ~64 bytes (low bits only on the last few), and leaving bit 63
    /// out keeps the mask usable with a two-bytes-per-step variant.
    static func mask(bits: Int) -> UInt64 {
        ((1 << UInt64(bits)) - 1) << UInt64(63 - bits)
    }

    public var bytesInCurrentChunk: Int { position }

    /// Start a new stream.
    public mutating func reset() {
        position = 0
        hash = 0
    }

    /// Feed the next bytes of the stream. Returns the offset in `buffer` (exclusive end) where the
    /// current chunk ends, or nil when all of `buffer` belongs to the current chunk. After a cut the
    /// state resets, and the caller feeds the rest of the buffer (buffer[cut...]) again.
    /// A chunk never exceeds maxSize; no cut happens before minSize. At end of stream the caller
    /// emits the remainder as the last chunk.
    public mutating func findCut(in buffer: UnsafeRawBufferPointer) -> Int? {
        let count = buffer.count
        guard count > 0, let raw = buffer.baseAddress else { return nil }
        let bytes = raw.assumingMemoryBound(to: UInt8.self)
        let minSize = parameters.minSize, averageSize = parameters.averageSize, maxSize = parameters.maxSize
        // Chunk length after consuming buffer[..<i] is `base + i`.
        let base = position
        var i = 0
        // The first minSize bytes can never end a chunk: skip them unhashed.
        if base < minSize {
            i = Swift.min(minSize - base, count)
            if i == count {
                position = base + count
                return nil
            }
        }
        var h = hash
        let maskStrict = self.maskStrict, maskLoose = self.maskLoose
        let cut: Int? = gear.words.withUnsafeBufferPointer { table -> Int? in
            let g = table.baseAddress!
            if base + i < averageSize {
                let end = Swift.min(count, averageSize - base)
                while i < end {
                    h = (h << 1) &+ g[Int(bytes[i])]
                    i += 1
                    if h & maskStrict == 0 { return i }
                }
            }
            let end = Swift.min(count, maxSize - base)
            while i < end {
                h = (h << 1) &+ g[Int(bytes[i])]
                i += 1
                if h & maskLoose == 0 { return i }
            }
            return base + i == maxSize ? i : nil
        }
        if let cut {
            position = 0
            hash = 0
            return cut
        }
        position = base + count
        hash = h
        return nil
    }
}
