import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange's answer, headers with lower-cased names.
struct S3HTTPResponse: Sendable {
    let status: Int
    let headers: [String: String]
    let body: [UInt8]

    func header(_ name: String) -> String? { headers[name] }
}

/// A request that got no HTTP answer: timeout, refused or dropped connection,
/// TLS failure. Always worth a retry except for TLS trust failures.
struct S3TransportError: Error, Sendable {
    let reason: String
    let isRetryable: Bool
}

/// A blocking HTTP client over `URLSession` (FoundationNetworking, libcurl on
/// Linux): the backend protocol is synchronous and is called from dedicated
/// threads, so each call starts a task and waits on a semaphore for it.
/// At most `maxConcurrent` requests run at once; further callers wait.
/// Safe to use from several threads at once.
final class S3HTTPClient: @unchecked Sendable {
    private let session: URLSession
    private let slots: DispatchSemaphore

    init(maxConcurrent: Int, timeout: TimeInterval) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = max(1, maxConcurrent)
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = max(timeout, 6 * 3600)
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration)
        slots = DispatchSemaphore(value: max(1, maxConcurrent))
    }

    deinit { session.invalidateAndCancel() }

    /// Sends one request and waits for the whole answer.
    func send(method: String, url: URL, headers: [String: String], body: ArraySlice<UInt8>?) throws -> S3HTTPResponse {
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }

        slots.wait()
        defer { slots.signal() }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            outcome.data = data
            outcome.response = response
            outcome.error = error
            done.signal()
        }
        task.resume()
        done.wait()

        if let error = outcome.error { throw Self.transportError(error) }
        guard let http = outcome.response as? HTTPURLResponse else {
            throw S3TransportError(reason: "the answer was not HTTP", isRetryable: true)
        }
        var lowered: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { lowered[name.lowercased()] = value }
        }
        let bytes = outcome.data.map { [UInt8]($0) } ?? []
        return S3HTTPResponse(status: http.statusCode, headers: lowered, body: bytes)
    }

    private final class Outcome: @unchecked Sendable {
        var data: Data?
        var response: URLResponse?
        var error: Error?
    }

    private static func transportError(_ error: Error) -> S3TransportError {
        guard let urlError = error as? URLError else {
            return S3TransportError(reason: "\(error)", isRetryable: true)
        }
        switch urlError.code {
        case .timedOut:
            return S3TransportError(reason: "the request timed out", isRetryable: true)
        case .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
             .serverCertificateHasUnknownRoot, .clientCertificateRejected, .secureConnectionFailed:
            return S3TransportError(reason: "TLS failed (\(urlError.localizedDescription)); check the endpoint's certificate", isRetryable: false)
        case .unsupportedURL, .badURL:
            return S3TransportError(reason: "the URL is not usable: \(urlError.localizedDescription)", isRetryable: false)
        case .cannotFindHost, .dnsLookupFailed:
            return S3TransportError(reason: "the host name does not resolve", isRetryable: true)
        case .cannotConnectToHost:
            return S3TransportError(reason: "the connection was refused", isRetryable: true)
        case .networkConnectionLost:
            return S3TransportError(reason: "the connection was lost", isRetryable: true)
        default:
            return S3TransportError(reason: urlError.localizedDescription, isRetryable: true)
        }
    }
}
