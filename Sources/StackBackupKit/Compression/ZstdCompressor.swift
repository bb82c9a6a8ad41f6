// Compression/ owns every use of libzstd: one-shot compression and
// size-checked decompression of blobs and sealed documents, and the cheap
// decision whether a blob is worth compressing. No other folder imports CZstd;
// all zstd failures surface as `ZstdError`.

internal import CZstd

/// One-shot zstd compression of whole blobs. Owns a `ZSTD_CCtx` (freed in
/// `deinit`) that is reused across calls. NOT thread-safe: one per thread.
public final class ZstdCompressor {
    private let context: OpaquePointer
    public let level: Int32

    /// Throws `ZstdError` when `level` is outside zstd's range (about -131072 ... 22).
    public init(level: Int32 = 3) throws {
        guard level >= ZSTD_minCLevel(), level <= ZSTD_maxCLevel() else {
            throw ZstdError(function: "ZstdCompressor(level:)", reason: "level \(level) is outside \(ZSTD_minCLevel())...\(ZSTD_maxCLevel())")
        }
        guard let ctx = ZSTD_createCCtx() else {
            throw ZstdError(function: "ZSTD_createCCtx", reason: "out of memory")
        }
        do {
            try ZstdError.check(ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level), "ZSTD_CCtx_setParameter(level)")
        } catch {
            ZSTD_freeCCtx(ctx)
            throw error
        }
        self.context = ctx
        self.level = level
    }

    deinit { ZSTD_freeCCtx(context) }

    /// One zstd frame holding `input`, with its content size recorded.
    public func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        try ZstdError.check(bound, "ZSTD_compressBound")
        return try [UInt8](unsafeUninitializedCapacity: bound) { buffer, initialized in
            let written = try ZstdError.check(
                ZSTD_compress2(context, buffer.baseAddress, bound, input.baseAddress, input.count), "ZSTD_compress2")
            initialized = written
        }
    }

    public func compress(_ input: [UInt8]) throws -> [UInt8] {
        try input.withUnsafeBytes { try compress($0) }
    }
}
