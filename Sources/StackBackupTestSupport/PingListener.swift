import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP listener on loopback that records the requests it gets and
/// answers 200: stands in for healthchecks.io / Uptime Kuma in tests.
public final class PingListener: Sendable {
    /// One request: its request line ("POST /abc/fail HTTP/1.1") and body.
    public struct Request: Sendable {
        public var line: String
        public var body: String
    }

    public let port: Int
    private let fd: Int32
    private let received = Mutex<[Request]>([])

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw FileTree.Failure(description: "cannot listen on loopback") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// The request lines received so far, e.g. "POST /abc/start HTTP/1.1".
    public var requests: [String] { received.withLock { $0.map(\.line) } }

    /// The requests received so far, with their bodies.
    public var pings: [Request] { received.withLock { $0 } }

    public func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            if let request = Self.readRequest(client) { received.withLock { $0.append(request) } }
            let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"
            _ = answer.withCString { write(client, $0, strlen($0)) }
            close(client)
        }
    }

    /// Reads the head, then as much body as its Content-Length says (a request may arrive in several reads).
    private static func readRequest(_ client: Int32) -> Request? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let separator = Array("\r\n\r\n".utf8)
        while true {
            let count = read(client, &buffer, buffer.count)
            if count > 0 { bytes += buffer[0..<count] }
            if let end = bytes.firstRange(of: separator) {
                let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
                let length = head.split(separator: "\r\n").compactMap { field -> Int? in
                    let parts = field.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                    return Int(parts[1].trimmingCharacters(in: .whitespaces))
                }.first ?? 0
                if bytes.count - end.upperBound >= length || count <= 0 {
                    let line = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
                    let body = String(decoding: bytes[end.upperBound...].prefix(length), as: UTF8.self)
                    return Request(line: line, body: body)
                }
            }
            if count <= 0 { return bytes.isEmpty ? nil : Request(line: String(decoding: bytes, as: UTF8.self), body: "") }
        }
    }
}
