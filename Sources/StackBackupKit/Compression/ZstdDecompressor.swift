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

    public func decompress(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
        try input.withUnsafeBytes { try decompress($0, expectedSize: expectedSize) }
    }
}
