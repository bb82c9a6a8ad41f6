import Foundation

// HTTP client choice: Foundation's URLSession (FoundationNetworking on Linux,
// libcurl underneath, HTTPS capable) behind a synchronous wrapper that waits on
// a semaphore (`S3HTTPClient`). The `Backend` protocol is synchronous and is
// called from dedicated threads, so an async client buys nothing here, and
// async-http-client (SwiftNIO) would add a multi-minute build to every CI run.
// Requests are signed with AWS Signature V4 (`S3Signer`, HMAC-SHA256/SHA-256
// from libcrypto through the Crypto folder).

/// A repository in an S3-compatible object store (AWS S3, MinIO, Garage, Ceph
/// RGW, Backblaze B2, Wasabi, Cloudflare R2).
///
/// Keys are `<prefix>/<relativePath>` (`data/ab/abcd…`, `index/…`, `config`).
/// Path-style addressing for custom endpoints, virtual-hosted for
/// `*.amazonaws.com` or when `S3Options.virtualHosted` is set.
///
/// Contract as `Backend`: `save` is atomic (a PUT is all or nothing; a
/// multipart upload becomes visible only when completed and is aborted on
/// failure) and never overwrites (a HEAD first, plus `If-None-Match: *` where
/// the server honours it). Every request is retried with exponential backoff
/// and full jitter on 5xx, 429, timeouts and connection errors; a final
/// failure of that kind is a retryable `BackendError` (`.io`). 404 is
/// `.notFound`, 403 is `.permissionDenied` with the reason S3 gave. Bodies are
/// checked against their Content-Length (`.shortRead`). Uploads carry the
/// signed SHA-256 of the body and `x-amz-checksum-sha256`, so the server
/// refuses bytes damaged in transit. Thread-safe; at most
/// `options.maxConcurrentRequests` requests run at once.
public final class S3Backend: Backend, @unchecked Sendable {
    public let s3: S3Location
    public let options: S3Options
    let signer: S3Signer
    let client: S3HTTPClient
    let virtualHosted: Bool

    private let stateLock = NSLock()
    private var conditionalWritesEnabled: Bool

    /// Requests overlap their round trips: as many as the options allow at once.
    public var preferredConcurrency: Int { max(1, options.maxConcurrentRequests) }

    public init(location: S3Location, credentials: S3Credentials, options: S3Options = S3Options()) {
        self.s3 = location
        self.options = options
        self.signer = S3Signer(credentials: credentials, region: options.region)
        self.client = S3HTTPClient(maxConcurrent: options.maxConcurrentRequests, timeout: options.requestTimeout)
        self.virtualHosted = options.virtualHosted ?? location.host.hasSuffix(".amazonaws.com")
        self.conditionalWritesEnabled = options.conditionalWrites
    }

    public var location: String { s3.description }

    var conditionalWrites: Bool {
        get { stateLock.withLock { conditionalWritesEnabled } }
        set { stateLock.withLock { conditionalWritesEnabled = newValue } }
    }

    // MARK: - Backend

    public func exists(_ handle: Handle) throws -> Bool {
        try head(handle) != nil
    }

    public func save(_ handle: Handle, _ bytes: [UInt8]) throws {
        if try head(handle) != nil {
            throw BackendError(.alreadyExists, path: path(handle), reason: "exists")
        }
        if bytes.count > options.multipartThreshold {
            try saveMultipart(handle, bytes)
        } else {
            try putObject(handle, bytes)
        }
    }

    public func load(_ handle: Handle) throws -> [UInt8] {
        let response = try execute(S3Request(method: "GET", key: key(handle)), object: path(handle)).response
        guard response.status == 200 else { throw error(for: response, object: path(handle)) }
        try checkLength(response, expected: nil, object: path(handle))
        return response.body
    }

    public func load(_ handle: Handle, offset: Int, length: Int) throws -> [UInt8] {
        guard offset >= 0, length >= 0 else {
            throw BackendError(.shortRead, path: path(handle), reason: "invalid range \(offset)+\(length)")
        }
        if length == 0 {
            let size = try self.size(handle)
            guard offset <= size else {
                throw BackendError(.shortRead, path: path(handle), reason: "wanted 0 bytes at \(offset) of \(size)")
            }
            return []
        }
        var request = S3Request(method: "GET", key: key(handle))
        request.headers["range"] = "bytes=\(offset)-\(offset + length - 1)"
        let response = try execute(request, object: path(handle)).response
        switch response.status {
        case 206:
            try checkLength(response, expected: length, object: path(handle))
            return response.body
        case 200: // the server ignored the range
            try checkLength(response, expected: nil, object: path(handle))
            guard offset + length <= response.body.count else {
                throw BackendError(.shortRead, path: path(handle),
                                   reason: "wanted \(length) bytes at \(offset) of \(response.body.count)")
            }
            return Array(response.body[offset..<offset + length])
        case 416:
            throw BackendError(.shortRead, path: path(handle), reason: "wanted \(length) bytes at \(offset), beyond the end")
        default:
            throw error(for: response, object: path(handle))
        }
    }

    public func size(_ handle: Handle) throws -> Int {
        guard let size = try head(handle) else {
            throw BackendError(.notFound, path: path(handle), reason: "no such key")
        }
        return size
    }

    public func list(_ kind: FileKind) throws -> [(name: String, size: Int)] {
        let folder = kind == .config ? "" : kind.rawValue + "/"
        let listPrefix = s3.prefix.isEmpty ? folder : s3.prefix + "/" + folder
        var out: [(name: String, size: Int)] = []
        for object in try listObjects(prefix: kind == .config ? s3.key("config") : listPrefix) {
            let rest = object.key.dropFirst(listPrefix.count)
            let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
            switch kind {
            case .config:
                if object.key == s3.key("config") { out.append(("config", object.size)) }
            case .pack:
                if parts.count == 2, parts[0].count == 2, !parts[1].isEmpty, !parts[1].hasPrefix(".") {
                    out.append((String(parts[1]), object.size))
                }
            default:
                if parts.count == 1, !rest.isEmpty, !rest.hasPrefix(".") { out.append((String(rest), object.size)) }
            }
        }
        return out
    }

    public func remove(_ handle: Handle) throws {
        // S3 answers 204 to a DELETE of a missing key; the contract wants notFound.
        guard try head(handle) != nil else {
            throw BackendError(.notFound, path: path(handle), reason: "no such key")
        }
        let response = try execute(S3Request(method: "DELETE", key: key(handle)), object: path(handle)).response
        guard response.status == 204 || response.status == 200 else { throw error(for: response, object: path(handle)) }
    }

    // MARK: - Objects

    /// The object's size, or nil when it does not exist.
    func head(_ handle: Handle) throws -> Int? {
        let response = try execute(S3Request(method: "HEAD", key: key(handle)), object: path(handle)).response
        switch response.status {
        case 200:
            guard let size = response.header("content-length").flatMap(Int.init) else {
                throw BackendError(.io, path: path(handle), reason: "S3 at \(s3.host) sent no Content-Length for HEAD")
            }
            return size
        case 404:
            return nil
        default:
            throw error(for: response, object: path(handle))
        }
    }

    private func putObject(_ handle: Handle, _ bytes: [UInt8]) throws {
        let digest = bytes.withUnsafeBytes { SHA256.hash($0) }
        while true {
            var request = S3Request(method: "PUT", key: key(handle), body: bytes[...])
            request.payloadHash = digest.hex
            request.headers["content-type"] = "application/octet-stream"
            if options.checksumSHA256 { request.headers["x-amz-checksum-sha256"] = Data(digest.bytes).base64EncodedString() }
            let conditional = conditionalWrites
            if conditional { request.headers["if-none-match"] = "*" }
            let (response, attempts) = try execute(request, object: path(handle))
            switch response.status {
            case 200:
                return
            case 412:
                // A retried PUT whose earlier attempt landed finds its own object.
                if attempts > 1, try head(handle) == bytes.count { return }
                throw BackendError(.alreadyExists, path: path(handle), reason: "exists")
            case 501 where conditional:
                conditionalWrites = false // the server does not do conditional writes: HEAD alone guards
                continue
            default:
                throw error(for: response, object: path(handle))
            }
        }
    }

    // MARK: - Helpers

    func key(_ handle: Handle) -> String { s3.key(handle.relativePath) }

    /// The object's name in messages: the repository URL plus its path.
    func path(_ handle: Handle) -> String { s3.description + "/" + handle.relativePath }

    func checkLength(_ response: S3HTTPResponse, expected: Int?, object: String) throws {
        if let declared = response.header("content-length").flatMap(Int.init), declared != response.body.count {
            throw BackendError(.shortRead, path: object, reason: "S3 declared \(declared) bytes and sent \(response.body.count)")
        }
        if let expected, expected != response.body.count {
            throw BackendError(.shortRead, path: object, reason: "wanted \(expected) bytes, got \(response.body.count)")
        }
    }
}
