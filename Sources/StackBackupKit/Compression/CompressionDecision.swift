/// Whether a blob is worth compressing, decided cheaply so already-compressed
/// media (photos, video, FLAC) is stored raw instead of costing CPU twice.
public enum CompressionDecision {
    /// Size of the trial sample taken from the start of the input.
    public static let sampleSize = 64 * 1024
    /// Inputs smaller than this are never compressed.
    public static let minimumSize = 512

    /// Trial-compresses the first 64 KiB; true when that saves at least 5%. Small inputs (< 512 B): false.
    public static func worthCompressing(_ input: UnsafeRawBufferPointer, compressor: ZstdCompressor) -> Bool {
        guard input.count >= minimumSize else { return false }
        let sample = UnsafeRawBufferPointer(rebasing: input[..<min(input.count, sampleSize)])
        guard let compressed = try? compressor.compress(sample) else { return false }
        return compressed.count * 100 <= sample.count * 95
    }
}
