import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP proxy on 127.0.0.1 in front of an S3 test server that fails
/// or delays a share of the requests, for retry and fault tests.
///
/// One request per connection (it answers with `Connection: close`); POSIX
/// sockets, one thread per connection. Faults are drawn from a seeded
/// generator; `maxFailuresPerRequest` bounds how often the same request
/// (method + path + query) is failed, so a test with a retrying client has a
/// deterministic outcome. Stops in `stop()` or `deinit`.
public final class FaultyProxy: @unchecked Sendable {
    public struct Faults: Sendable {
        /// Share of requests answered with `status` without reaching the server.
        public var failureShare: Double = 0
        public var status: Int = 500
        /// Share of requests whose answer is held back for `delay` seconds
        /// (after the server handled them, so a timed-out client cannot know).
        public var delayShare: Double = 0
        public var delay: TimeInterval = 0
        /// Share of requests whose connection is closed without an answer.
        public var dropShare: Double = 0
        /// At most this many faults for one request; nil: no limit.
        public var maxFailuresPerRequest: Int? = nil
        public var seed: UInt64 = 1

        public init(failureShare: Double = 0, status: Int = 500, delayShare: Double = 0, delay: TimeInterval = 0,
                    dropShare: Double = 0, maxFailuresPerRequest: Int? = nil, seed: UInt64 = 1) {
            self.failureShare = failureShare
            self.status = status
            self.delayShare = delayShare
            self.delay = delay
            self.dropShare = dropShare
            self.maxFailuresPerRequest = maxFailuresPerRequest
            self.seed = seed
        }
    }

    public let port: Int
    public let upstreamPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var faultsValue: Faults
    private var random: SeededRandom
    private var faultsByRequest: [String: Int] = [:]
    private var injectedCount = 0
    private var forwardedCount = 0
    private var stopped = false

    public init(upstreamPort: Int, faults: Faults = Faults()) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestS3.Unavailable(reason: "proxy socket() failed") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = TestS3.loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0, listen(fd, 128) == 0 else {
            close(fd)
            throw TestS3.Unavailable(reason: "the proxy cannot listen on 127.0.0.1")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        self.upstreamPort = upstreamPort
        faultsValue = faults
        random = SeededRandom(seed: faults.seed)
        let thread = Thread { [weak self] in self?.acceptLoop() }
        thread.name = "FaultyProxy.accept"
        thread.start()
    }

    deinit { stop() }

    public var faults: Faults {
        get { lock.withLock { faultsValue } }
        set { lock.withLock { faultsValue = newValue; random = SeededRandom(seed: newValue.seed); faultsByRequest = [:] } }
    }

    /// How many requests got a fault, and how many reached the server.
    public var injected: Int { lock.withLock { injectedCount } }
    public var forwarded: Int { lock.withLock { forwardedCount } }

    public func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        if first {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func acceptLoop() {
        while !isStopped {
            var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 200)
            if ready <= 0 { continue }
            let client = accept(listener, nil, nil)
            if client < 0 { if isStopped { return } else { continue } }
            let thread = Thread { [weak self] in
                self?.handle(client)
                close(client)
            }
            thread.stackSize = 256 << 10
            thread.start()
        }
    }

    private enum Action { case forward, fail(Int), delay(TimeInterval), drop }

    private func decide(_ requestLine: String) -> Action {
        lock.withLock {
            let f = faultsValue
            let count = faultsByRequest[requestLine, default: 0]
            if let limit = f.maxFailuresPerRequest, count >= limit { forwardedCount += 1; return .forward }
            let roll = Double(random.next() >> 11) / Double(1 << 53)
            var action = Action.forward
            if roll < f.failureShare {
                action = .fail(f.status)
            } else if roll < f.failureShare + f.dropShare {
                action = .drop
            } else if roll < f.failureShare + f.dropShare + f.delayShare {
                action = .delay(f.delay)
            }
            if case .forward = action { forwardedCount += 1 } else {
                injectedCount += 1
                faultsByRequest[requestLine] = count + 1
            }
            return action
        }
    }

    private func handle(_ client: Int32) {
        // Read the head, then the body by Content-Length.
        var buffer = [UInt8]()
        var headEnd: Int? = nil
        while headEnd == nil {
            guard let chunk = readSome(client), !chunk.isEmpty else { return }
            buffer += chunk
            headEnd = find([13, 10, 13, 10], in: buffer)
            if buffer.count > 1 << 20 && headEnd == nil { return }
        }
        guard let end = headEnd else { return }
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        guard !lines.isEmpty else { return }
        let requestLine = lines.removeFirst()
        var contentLength = 0
        var expectContinue = false
        var forwardedHeaders: [String] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-length": contentLength = Int(value) ?? 0
            case "expect": expectContinue = value.lowercased() == "100-continue"; continue
            case "connection", "proxy-connection", "keep-alive": continue
            default: break
            }
            forwardedHeaders.append(line)
        }
        if expectContinue { writeAll(client, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
        var body = Array(buffer[(end + 4)...])
        while body.count < contentLength {
            guard let chunk = readSome(client), !chunk.isEmpty else { return }
            body += chunk
        }

        let action = decide(requestLine)
        switch action {
        case .drop:
            return
        case .fail(let status):
            let code = status == 503 ? "SlowDown" : "InternalError"
            let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>injected by FaultyProxy</Message></Error>"
            let text = "HTTP/1.1 \(status) Injected\r\nContent-Type: application/xml\r\nContent-Length: \(xml.utf8.count)\r\nConnection: close\r\n\r\n"
            writeAll(client, Array(text.utf8) + (requestLine.hasPrefix("HEAD ") ? [] : Array(xml.utf8)))
            return
        case .forward, .delay:
            break
        }

        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard upstream >= 0 else { return }
        defer { close(upstream) }
        var address = TestS3.loopbackAddress(port: upstreamPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return }
        let outHead = ([requestLine] + forwardedHeaders + ["Connection: close", "", ""]).joined(separator: "\r\n")
        guard writeAll(upstream, Array(outHead.utf8)), writeAll(upstream, body) else { return }
        var response = [UInt8]()
        while let chunk = readSome(upstream), !chunk.isEmpty { response += chunk }
        if case .delay(let seconds) = action { Thread.sleep(forTimeInterval: seconds) }
        writeAll(client, response)
    }

    private func readSome(_ fd: Int32) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            return Array(chunk[..<n])
        }
    }

    @discardableResult
    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    private func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        for i in 0...(bytes.count - needle.count) where bytes[i] == needle[0] {
            if Array(bytes[i..<i + needle.count]) == needle { return i }
        }
        return nil
    }
}
