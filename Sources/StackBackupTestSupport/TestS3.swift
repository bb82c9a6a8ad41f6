import Foundation
import StackBackupKit
#if canImport(Glibc)
import Glibc
#endif

/// The S3 server the tests use: the `moto_server` that `scripts/test.sh`
/// starts and names in `STACKBACKUP_TEST_S3=http://127.0.0.1:PORT`, or else
/// one this test process starts itself on a free loopback port (stopped when
/// the process ends). Without `moto_server` a developer's run skips with a
/// reason; under `CI=true` that is a failure.
///
///     @Test func works() throws {
///         guard let backend = try TestS3.makeBackend() else { return }
///         …
///     }
public enum TestS3 {
    public struct Unavailable: Error, CustomStringConvertible {
        public let reason: String
        public var description: String {
            "no S3 test server: \(reason); install it with bash scripts/install-deps.sh and run the tests through bash scripts/test.sh"
        }
    }

    /// moto accepts any key pair unless told to check them.
    public static let credentials = S3Credentials(accessKeyID: "stackbackup-test", secretAccessKey: "stackbackup-test-secret")

    /// Whether a server is named in the environment or `moto_server` can be started.
    public static var isAvailable: Bool {
        if let url = ProcessInfo.processInfo.environment["STACKBACKUP_TEST_S3"], !url.isEmpty { return true }
        return findExecutable("moto_server") != nil
    }

    public static var isCI: Bool { TestPostgres.isCI }

    /// The server's port on 127.0.0.1; nil (skip) when there is none outside CI.
    public static func requirePort() throws -> Int? {
        switch shared {
        case .success(let port): return port
        case .failure(let error):
            if isCI { throw error }
            return nil
        }
    }

    /// A backend on a fresh, uniquely named bucket (and a prefix, to exercise
    /// key prefixes). `nil` when no server is available outside CI.
    public static func makeBackend(options: S3Options = fastRetries(), prefix: String = "repo/sub",
                                   port: Int? = nil, credentials: S3Credentials = TestS3.credentials) throws -> S3Backend? {
        guard let serverPort = try requirePort() else { return nil }
        let location = S3Location(host: "127.0.0.1", port: serverPort, bucket: uniqueBucketName(), prefix: prefix, useTLS: false)
        try S3Backend(location: location, credentials: TestS3.credentials, options: options).createBucket()
        var target = location
        if let port { target.port = port }
        return S3Backend(location: target, credentials: credentials, options: options)
    }

    /// Options with short backoff so retry tests run fast.
    public static func fastRetries() -> S3Options {
        var options = S3Options()
        options.retry = RetryPolicy(maxRetries: 5, baseDelay: 0.01, maxDelay: 0.2)
        options.requestTimeout = 20
        return options
    }

    public static func uniqueBucketName() -> String {
        let suffix = String(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF, radix: 16)
        return "sbt-\(getpid())-\(suffix)"
    }

    // MARK: - The server

    private static let shared: Result<Int, Unavailable> = {
        let env = ProcessInfo.processInfo.environment
        if let url = env["STACKBACKUP_TEST_S3"], !url.isEmpty {
            guard let port = URL(string: url)?.port else {
                return .failure(Unavailable(reason: "STACKBACKUP_TEST_S3=\(url) has no port"))
            }
            return .success(port)
        }
        return Result { try startServer(environment: [:]) }.mapError { $0 as? Unavailable ?? Unavailable(reason: "\($0)") }
    }()

    /// Starts a `moto_server` on a free loopback port that stops when this
    /// process ends (a shell watchdog kills it once our pid is gone), waits until
    /// it accepts connections, and returns its port.
    public static func startServer(environment: [String: String]) throws -> Int {
        guard let moto = findExecutable("moto_server") else {
            throw Unavailable(reason: "moto_server is not installed")
        }
        let port = try freePort()
        let script = """
            "$0" -H 127.0.0.1 -p "$1" >/dev/null 2>&1 &
            child=$!
            while kill -0 "$2" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
            kill "$child" 2>/dev/null
            # moto_server may not end on SIGTERM while request threads linger.
            sleep 2
            kill -9 "$child" 2>/dev/null
            wait "$child" 2>/dev/null
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, moto, String(port), String(getpid())]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw Unavailable(reason: "cannot start moto_server: \(error)") }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if canConnect(port: port) { return port }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw Unavailable(reason: "moto_server did not listen on 127.0.0.1:\(port) within 30 s")
    }

    public static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// A port the kernel just handed out on 127.0.0.1 (bound, read, closed).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Unavailable(reason: "socket() failed") }
        defer { close(fd) }
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Unavailable(reason: "bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Unavailable(reason: "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    public static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopbackAddress(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

extension TestS3 {
    /// A separate `moto_server` that checks credentials and signatures (moto
    /// skips both by default): an IAM user with full rights is made first, then
    /// checking is switched on. Returns the port and that user's credentials.
    public static func startAuthenticatingServer() throws -> (port: Int, credentials: S3Credentials) {
        let port = try startServer(environment: [:])
        guard let python = findExecutable("python3") else { throw Unavailable(reason: "python3 is missing") }
        let script = """
            import boto3, json, sys, urllib.request
            url = "http://127.0.0.1:" + sys.argv[1]
            iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                               aws_access_key_id="setup", aws_secret_access_key="setup")
            iam.create_user(UserName="backup")
            iam.put_user_policy(UserName="backup", PolicyName="all", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
            key = iam.create_access_key(UserName="backup")["AccessKey"]
            urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"})).read()
            print(key["AccessKeyId"]); print(key["SecretAccessKey"])
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, String(port)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        guard process.terminationStatus == 0, lines.count == 2 else {
            throw Unavailable(reason: "could not make an IAM user on moto (python3 with boto3 exited \(process.terminationStatus))")
        }
        return (port, S3Credentials(accessKeyID: lines[0], secretAccessKey: lines[1]))
    }
}
