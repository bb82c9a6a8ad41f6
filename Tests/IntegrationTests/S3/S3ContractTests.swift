import Testing
import StackBackupKit
import StackBackupTestSupport

@Suite("S3 backend against a real S3 server on loopback", .enabled(if: TestS3.isAvailable || TestS3.isCI, "needs moto_server: run bash scripts/install-deps.sh"))
struct S3ContractTests {
    @Test(arguments: BackendContract.Check.allCases)
    func s3BackendKeepsTheContract(_ check: BackendContract.Check) throws {
        var options = TestS3.fastRetries()
        options.listPageSize = 100 // 1200 files span 12 pages
        guard let backend = try TestS3.makeBackend(options: options) else { return }
        try BackendContract.run(check, on: backend)
    }

    @Test func largeObjectsGoUpInPartsAndComeBackWhole() throws {
        var options = TestS3.fastRetries()
        options.multipartThreshold = 8 << 20
        options.partSize = 5 << 20
        guard let backend = try TestS3.makeBackend(options: options) else { return }
        var random = SeededRandom(seed: 42)
        let bytes = random.bytes(12 << 20 + 123)
        let handle = Handle(.pack, SHA256.hash(bytes))
        try backend.save(handle, bytes)
        #expect(try backend.size(handle) == bytes.count)
        #expect(try backend.load(handle) == bytes)
        #expect(try backend.load(handle, offset: (5 << 20) - 10, length: 20) == Array(bytes[(5 << 20) - 10..<(5 << 20) + 10]))
        #expect(throws: BackendError.self) { try backend.save(handle, bytes) }
    }

    @Test func virtualHostedAddressingIsUsedWhenForced() throws {
        // moto answers bucket.localhost requests; 127.0.0.1 has no subdomains, so use localhost.
        guard let port = try TestS3.requirePort() else { return }
        var options = TestS3.fastRetries()
        let bucket = TestS3.uniqueBucketName()
        try S3Backend(location: S3Location(host: "127.0.0.1", port: port, bucket: bucket, useTLS: false),
                      credentials: TestS3.credentials, options: options).createBucket()
        options.virtualHosted = true
        let backend = S3Backend(location: S3Location(host: "localhost", port: port, bucket: bucket, prefix: "v", useTLS: false),
                                credentials: TestS3.credentials, options: options)
        let handle = Handle(.key, "k1")
        try backend.save(handle, [1, 2, 3])
        let pathStyle = S3Backend(location: S3Location(host: "127.0.0.1", port: port, bucket: bucket, prefix: "v", useTLS: false),
                                  credentials: TestS3.credentials, options: TestS3.fastRetries())
        #expect(try pathStyle.load(handle) == [1, 2, 3])
    }

    @Test func aMissingBucketIsNamedInTheError() throws {
        guard let port = try TestS3.requirePort() else { return }
        let backend = S3Backend(location: S3Location(host: "127.0.0.1", port: port, bucket: "no-such-bucket-here", useTLS: false),
                                credentials: TestS3.credentials, options: TestS3.fastRetries())
        do {
            try backend.save(Handle(.config, "config"), [1])
            Issue.record("saved into a missing bucket")
        } catch let error as BackendError {
            #expect(error.code == .notFound)
            #expect(error.description.contains("no-such-bucket-here"))
        }
    }

    @Test func anUnreachableServerIsARetryableError() throws {
        var options = TestS3.fastRetries()
        options.retry = RetryPolicy(maxRetries: 2, baseDelay: 0.01)
        let port = try TestS3.freePort()
        let backend = S3Backend(location: S3Location(host: "127.0.0.1", port: port, bucket: "bucket", useTLS: false),
                                credentials: TestS3.credentials, options: options)
        do {
            _ = try backend.exists(Handle(.config, "config"))
            Issue.record("reached a closed port")
        } catch let error as BackendError {
            #expect(error.isRetryable)
            #expect(error.description.contains("3 attempts"))
        }
    }
}
