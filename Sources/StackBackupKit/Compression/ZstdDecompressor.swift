internal import CZstd

/// One-shot zstd decompression into a buffer of a known size. Owns a
/// `ZSTD_DCtx` (freed in `deinit`). NOT thread-safe: one per thread.
public final class ZstdDecompressor {
    private let context: OpaquePointer

    public init() throws {
        guard let ctx = ZSTD_createDCtx() else {
            throw ZstdError(function: "ZSTD_createDCtx", reason: "out of memory")
        }
        self.context = ctx
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Throws ZstdError if corrupt or if the output size is not exactly
    /// expectedSize (never allocates more than expectedSize).
    public func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int) throws -> [UInt8] {
        guard expectedSize >= 0 else {
            throw ZstdError(function: "decompress", reason: "negative expected size \(expectedSize)")
        }
        guard input.count > 0 else {
            throw ZstdError(function: "decompress", reason: "empty input is not a zstd frame")
        }
        // Reject a frame that declares another size before allocating anything.
        let declared = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        if declared == CZstd_contentSizeError() {
            throw ZstdError(function: "ZSTD_getFrameContentSize", reason: "not a zstd frame")
        }
        if declared != CZstd_contentSizeUnknown(), declared != UInt64(expectedSize) {
            throw ZstdError(function: "decompress", reason: "the frame holds \(declared) bytes, expected \(expectedSize)")
        }
        // The stated size comes from the index or the document itself: past what
        // the input could plausibly hold, grow with the real output instead of
        // allocating it up front (a 14-byte frame must not cost 4 GiB).
        if expectedSize > max(input.count * 64, 1 << 20) {
            return try decompressGrowing(input, expectedSize: expectedSize)
        }
        // Capacity at least 1 so zstd always gets a real pointer.
        return try [UInt8](unsafeUninitializedCapacity: max(expectedSize, 1)) { buffer, initialized in
            let written = try ZstdError.check(
                ZSTD_decompressDCtx(context, buffer.baseAddress, expectedSize, input.baseAddress, input.count), "ZSTD_decompressDCtx")
            guard written == expectedSize else {
                throw ZstdError(function: "decompress", reason: "decompressed to \(written) bytes, expected \(expectedSize)")
            }
            initialized = written
        }
    }

    /// Streams into a buffer that doubles as output arrives, up to one byte
    /// past `expectedSize` (so too much output is detected, not truncated).
    private func decompressGrowing(_ input: UnsafeRawBufferPointer, expectedSize: Int) throws -> [UInt8] {
        try ZstdError.check(ZSTD_DCtx_reset(context, ZSTD_reset_session_only), "ZSTD_DCtx_reset")
        var output = [UInt8](repeating: 0, count: 1 << 20)
        var produced = 0
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            if produced == output.count {
                guard output.count <= expectedSize else {
                    throw ZstdError(function: "decompress", reason: "the data holds more than the expected \(expectedSize) bytes")
                }
                output += repeatElement(0, count: min(output.count, expectedSize + 1 - output.count))
            }
            let before = (source.pos, produced)
            let hint = try output.withUnsafeMutableBytes { buffer in
                var target = ZSTD_outBuffer(dst: buffer.baseAddress! + produced, size: buffer.count - produced, pos: 0)
                defer { produced += target.pos }
                return try ZstdError.check(ZSTD_decompressStream(context, &target, &source), "ZSTD_decompressStream")
            }
            if hint == 0 && source.pos == source.size { break }
            if before == (source.pos, produced) {
                throw ZstdError(function: "decompress", reason: "the data ends inside a frame after \(produced) bytes")
            }
        }
        guard produced == expectedSize else {
            throw ZstdError(function: "decompress", reason: "decompressed to \(produced) bytes, expected \(expectedSize)")
        }
        output.removeLast(output.count - produced)
        return output
    }

    public func decompress(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
        try input.withUnsafeBytes { try decompress($0, expectedSize: expectedSize) }
    }
}
