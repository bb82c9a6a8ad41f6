import Foundation

/// One S3 request before signing.
struct S3Request {
    var method: String
    /// The object key, or nil for a bucket-level request (list).
    var key: String?
    var query: [(String, String)] = []
    /// Extra headers, lower-case names.
    var headers: [String: String] = [:]
    var body: ArraySlice<UInt8>? = nil
    /// Hex SHA-256 of the body; computed when nil.
    var payloadHash: String? = nil

    init(method: String, key: String?, query: [(String, String)] = [], body: ArraySlice<UInt8>? = nil) {
        self.method = method
        self.key = key
        self.query = query
        self.body = body
    }
}

/// One attempt's failure that another attempt may cure (5xx, 429, a dropped connection).
private struct S3RetryableFailure: Error {
    let reason: String
}

extension S3Backend {
    /// Sends `request`, retrying 5xx, 429, S3's `RequestTimeout` and transport
    /// failures per `options.retry`. Returns the first other answer and the
    /// number of attempts it took; throws a retryable `.io` error when the
    /// retries run out.
    func execute(_ request: S3Request, object: String) throws -> (response: S3HTTPResponse, attempts: Int) {
        var request = request
        if request.payloadHash == nil {
            request.payloadHash = request.body.map { body in body.withUnsafeBytes { SHA256.hash($0).hex } }
                ?? S3Signer.emptyPayloadHash
        }
        var attempts = 0
        do {
            let response = try options.retry.run(isRetryable: { $0 is S3RetryableFailure }) { attempt -> S3HTTPResponse in
                attempts = attempt + 1
                do {
                    let response = try sendOnce(request)
                    if !Self.isRetryable(response) { return response }
                    let code = S3XML.value("Code", in: response.body[...]).map { " \($0)" } ?? ""
                    throw S3RetryableFailure(reason: "S3 at \(s3.host) answered \(response.status)\(code)")
                } catch let error as S3TransportError {
                    guard error.isRetryable else {
                        throw BackendError(.io, path: object, reason: "S3 at \(s3.endpoint) could not be used: \(error.reason)")
                    }
                    throw S3RetryableFailure(reason: "no answer from S3 at \(s3.endpoint): \(error.reason)")
                }
            }
            return (response, attempts)
        } catch let failure as S3RetryableFailure {
            throw BackendError(.io, path: object, reason: "\(failure.reason) (\(attempts) attempt\(attempts == 1 ? "" : "s")); try again later")
        }
    }

    static func isRetryable(_ response: S3HTTPResponse) -> Bool {
        if response.status >= 500 && response.status != 501 { return true }
        if response.status == 429 { return true }
        if response.status == 400 {
            let code = S3XML.value("Code", in: response.body[...])
            return code == "RequestTimeout" || code == "SlowDown"
        }
        return false
    }

    /// Signs and sends one attempt.
    private func sendOnce(_ request: S3Request) throws -> S3HTTPResponse {
        let host = virtualHosted ? s3.hostHeader(for: s3.bucket + "." + s3.host) : s3.hostHeader(for: s3.host)
        var path = virtualHosted ? "/" : "/" + S3Signer.uriEncode(s3.bucket, keepSlash: false)
        if let key = request.key {
            path += (virtualHosted ? "" : "/") + S3Signer.uriEncode(key, keepSlash: true)
        }
        var headers = request.headers
        headers["host"] = host
        let signed = signer.sign(method: request.method, encodedPath: path, query: request.query,
                                 headers: headers, payloadHash: request.payloadHash ?? S3Signer.emptyPayloadHash)
        headers.removeValue(forKey: "host") // URLSession writes the same Host from the URL
        for (name, value) in signed { headers[name] = value }

        var text = (s3.useTLS ? "https://" : "http://") + host + path
        if !request.query.isEmpty {
            text += "?" + request.query
                .map { S3Signer.uriEncode($0.0, keepSlash: false) + "=" + S3Signer.uriEncode($0.1, keepSlash: false) }
                .joined(separator: "&")
        }
        guard let url = URL(string: text) else {
            throw S3TransportError(reason: "cannot form a URL for host \(host)", isRetryable: false)
        }
        return try client.send(method: request.method, url: url, headers: headers, body: request.body)
    }

    /// The `BackendError` for an answer that is not a success.
    func error(for response: S3HTTPResponse, object: String) -> BackendError {
        let code = S3XML.value("Code", in: response.body[...])
        let message = S3XML.value("Message", in: response.body[...])
        let named = code.map { " (\($0))" } ?? " (HTTP \(response.status))"
        switch response.status {
        case 404:
            if code == "NoSuchBucket" {
                return BackendError(.notFound, path: object,
                                    reason: "the bucket \(s3.bucket) does not exist at \(s3.host); create it first")
            }
            return BackendError(.notFound, path: object, reason: "no such key")
        case 403:
            switch code {
            case "AccessDenied", "AllAccessDisabled", "AccountProblem":
                return BackendError(.permissionDenied, path: object,
                                    reason: "S3 denied access to bucket \(s3.bucket) at \(s3.host)\(named): give these credentials list, read, write and delete rights on it")
            case "RequestTimeTooSkewed":
                return BackendError(.permissionDenied, path: object,
                                    reason: "S3 at \(s3.host) refused the request time\(named): set this machine's clock right (NTP)")
            default:
                return BackendError(.permissionDenied, path: object,
                                    reason: "S3 refused the credentials for bucket \(s3.bucket) at \(s3.host)\(named): check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_DEFAULT_REGION (\(options.region))")
            }
        case 401:
            return BackendError(.permissionDenied, path: object,
                                reason: "S3 refused the credentials for bucket \(s3.bucket) at \(s3.host)\(named): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        case 412:
            return BackendError(.alreadyExists, path: object, reason: "exists")
        case 416:
            return BackendError(.shortRead, path: object, reason: "the range lies beyond the end of the object")
        default:
            let detail = message.map { ": \($0)" } ?? ""
            return BackendError(.io, path: object, reason: "S3 at \(s3.host) answered \(response.status)\(named)\(detail)")
        }
    }
}
