import Testing
import StackBackupKit
import StackBackupTestSupport

@Suite("Repository locations")
struct BackendLocationTests {
    @Test func plainAndLocalPathsAreFolders() throws {
        #expect(try BackendLocation.parse("/srv/backup") == .local(path: "/srv/backup"))
        #expect(try BackendLocation.parse("local:/srv/backup") == .local(path: "/srv/backup"))
    }

    @Test func s3URLsGiveHostPortBucketAndPrefix() throws {
        let parsed = try BackendLocation.parse("s3:https://s3.example.com:9000/backups/stack/nightly")
        #expect(parsed == .s3(S3Location(host: "s3.example.com", port: 9000, bucket: "backups", prefix: "stack/nightly", useTLS: true)))
        let plain = try BackendLocation.parse("s3:http://127.0.0.1:5000/bucket-1")
        #expect(plain == .s3(S3Location(host: "127.0.0.1", port: 5000, bucket: "bucket-1", prefix: "", useTLS: false)))
        #expect(plain.description == "s3:http://127.0.0.1:5000/bucket-1")
    }

    @Test func defaultPortsAreLeftOutOfTheEndpoint() throws {
        guard case .s3(let location) = try BackendLocation.parse("s3:https://s3.amazonaws.com:443/b-b-b/p") else {
            Issue.record("not an S3 location")
            return
        }
        #expect(location.endpoint == "https://s3.amazonaws.com")
        #expect(location.key("config") == "p/config")
    }

    @Test(arguments: ["s3:ftp://host/bucket", "s3:https://host", "s3:https://user:pw@host/bucket",
                      "s3:https://host:99999/bucket", "s3:https://host/UPPER", "s3:https://host:x/bucket", "", "gs://x/y"])
    func rejectsMalformedLocationsWithAReason(_ text: String) {
        #expect(throws: RepositoryError.self) { try BackendLocation.parse(text) }
    }

    @Test func credentialsInTheURLAreRefusedWithoutEchoingThem() {
        do {
            _ = try BackendLocation.parse("s3:https://key:supersecret@host/bucket")
            Issue.record("accepted credentials in the URL")
        } catch {
            #expect("\(error)".contains("AWS_ACCESS_KEY_ID"))
        }
    }

    @Test func makeBackendReadsCredentialsFromTheEnvironmentOnly() throws {
        let location = try BackendLocation.parse("s3:http://127.0.0.1:9/bucket")
        #expect(throws: RepositoryError.self) { try location.makeBackend(environment: [:]) }
        let backend = try location.makeBackend(environment: [
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_DEFAULT_REGION": "eu-central-1",
        ])
        let s3 = try #require(backend as? S3Backend)
        #expect(s3.options.region == "eu-central-1")
        #expect(s3.location == "s3:http://127.0.0.1:9/bucket")
        #expect(try BackendLocation.parse("/tmp/x").makeBackend(environment: [:]) is LocalBackend)
    }

    @Test func credentialsComeFromFilesAndNeverShowTheSecret() throws {
        let folder = TemporaryDirectory("creds")
        let id = try folder.write("id", "AKIDFROMFILE\n")
        let secret = try folder.write("secret", "  s3cr3t-value  \n")
        let credentials = try S3Credentials(accessKeyFile: id, secretKeyFile: secret)
        #expect(credentials.accessKeyID == "AKIDFROMFILE")
        #expect(credentials.secretAccessKey.bytes == Array("s3cr3t-value".utf8))
        #expect(!"\(credentials)".contains("s3cr3t"))
        #expect(throws: RepositoryError.self) { try S3Credentials(accessKeyFile: folder.sub("missing"), secretKeyFile: secret) }
    }
}
