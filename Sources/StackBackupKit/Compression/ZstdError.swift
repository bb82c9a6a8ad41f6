internal import CZstd

/// A zstd call failed: corrupt or truncated compressed data, a size that does
/// not match what the index promised, or a library failure.
public struct ZstdError: Error, CustomStringConvertible, Sendable {
    /// The zstd function (or wrapper check) that failed.
    public let function: String
    /// `ZSTD_getErrorName`, or our own explanation.
    public let reason: String

    public init(function: String, reason: String) {
        self.function = function
        self.reason = reason
    }

    public var description: String {
        "zstd failed in \(function): \(reason); if this is stored data, run `stackbackup verify --read-data` to find damaged files"
    }

    /// Returns `rc` unchanged, or throws when zstd reports it as an error code.
    @discardableResult
    static func check(_ rc: Int, _ function: String) throws -> Int {
        guard ZSTD_isError(rc) == 0 else {
            throw ZstdError(function: function, reason: String(cString: ZSTD_getErrorName(rc)))
        }
        return rc
    }
}
