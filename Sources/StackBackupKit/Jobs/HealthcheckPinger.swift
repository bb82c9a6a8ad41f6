import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Pings a healthchecks.io / Uptime Kuma push URL: `/start` at the start,
/// the URL itself on success, `/fail` on failure. A failing ping is reported
/// to the caller as a message, never as an error: it must not fail a backup.
public struct HealthcheckPinger: Sendable {
    public enum Event: String, Sendable { case start, success, failure }
    public let url: URL
    public var timeout: TimeInterval = 10

    public init(url: URL) { self.url = url }

    /// Returns nil when the ping went through, else why it did not.
    public func ping(_ event: Event, body: String = "") -> String? {
        var target = url
        switch event {
        case .start: target = url.appendingPathComponent("start")
        case .failure: target = url.appendingPathComponent("fail")
        case .success: break
        }
        let host = target.host ?? "?"
        var request = URLRequest(url: target, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = Data(body.prefix(10_000).utf8)
        let done = DispatchSemaphore(value: 0)
        let outcome = PingOutcome()
        let task = URLSession.shared.dataTask(with: request) { _, response, error in
            if let error {
                outcome.message = "healthcheck ping (\(event.rawValue)) to \(host) failed: \(error.localizedDescription)"
            } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                outcome.message = "healthcheck ping (\(event.rawValue)) to \(host) answered HTTP \(http.statusCode)"
            }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut {
            task.cancel()
            return "healthcheck ping (\(event.rawValue)) to \(host) timed out after \(Int(timeout))s"
        }
        return outcome.message
    }
}

private final class PingOutcome: @unchecked Sendable {
    var message: String?
}
