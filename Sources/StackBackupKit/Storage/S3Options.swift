import Foundation

/// Tunables of an `S3Backend`. The defaults suit AWS and self-hosted stores.
public struct S3Options: Sendable {
    /// The signing region (`AWS_DEFAULT_REGION`, default `us-east-1`).
    public var region = "us-east-1"
    /// Virtual-hosted addressing (`bucket.host/key`) instead of path-style
    /// (`host/bucket/key`). Default: on for `*.amazonaws.com`, off elsewhere.
    public var virtualHosted: Bool? = nil
    /// At most this many requests in flight at once, over all calling threads.
    public var maxConcurrentRequests = 8
    /// Retries of a request after 5xx, 429, a timeout or a connection error.
    public var retry = RetryPolicy()
    /// Objects above this size are uploaded in parts.
    public var multipartThreshold = 64 << 20
    /// The size of each part (S3 wants at least 5 MiB, except the last).
    public var partSize = 16 << 20
    /// `max-keys` of each ListObjectsV2 page (at most 1000).
    public var listPageSize = 1000
    /// Seconds without progress before a request counts as timed out.
    public var requestTimeout: TimeInterval = 60
    /// Sends `If-None-Match: *` so the server itself refuses to overwrite.
    /// Turned off by itself when a server answers 501 to it.
    public var conditionalWrites = true
    /// Sends `x-amz-checksum-sha256` with each single-part upload.
    public var checksumSHA256 = true

    public init() {}

    /// Region and addressing from `AWS_DEFAULT_REGION` (or `AWS_REGION`) and
    /// `S3_FORCE_VIRTUAL_HOST=1`.
    public static func fromEnvironment(_ environment: [String: String]) -> S3Options {
        var options = S3Options()
        if let region = environment["AWS_DEFAULT_REGION"] ?? environment["AWS_REGION"], !region.isEmpty {
            options.region = region
        }
        if environment["S3_FORCE_VIRTUAL_HOST"] == "1" { options.virtualHosted = true }
        return options
    }
}
