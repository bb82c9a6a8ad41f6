import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Every command against an S3 repository (moto on loopback), and `copy`
/// local → S3 → local through the real binary.
@Suite("CLI against S3", .enabled(if: TestS3.isAvailable || TestS3.isCI, "needs moto_server: run bash scripts/install-deps.sh"))
struct S3CLITests {
    /// A fresh `s3:http://127.0.0.1:PORT/BUCKET/prefix` (the bucket is made by `init`) and a runner with credentials.
    static func s3Location() throws -> (location: String, runner: CLIRunner)? {
        guard let port = try TestS3.requirePort() else { return nil }
        let runner = CLIRunner(environment: ["AWS_ACCESS_KEY_ID": "stackbackup-test", "AWS_SECRET_ACCESS_KEY": "stackbackup-test-secret",
                                             "AWS_DEFAULT_REGION": "us-east-1"])
        return ("s3:http://127.0.0.1:\(port)/\(TestS3.uniqueBucketName())/stack", runner)
    }

    static func succeed(_ runner: CLIRunner, _ arguments: [String]) throws -> CLIRunner.Result {
        let result = try runner.run(arguments)
        guard result.status == 0 else {
            throw Failure(description: "`stackbackup \(arguments.joined(separator: " "))` failed: \(result)")
        }
        return result
    }

    @Test func everyCommandWorksOnAnS3Repository() throws {
        guard let (repo, runner) = try Self.s3Location() else { return }
        let dir = TemporaryDirectory("s3-cli")
        let password = try dir.write("pass", "s3 secret\n")
        let common = ["--repo", repo, "--password-file", password]
        let data = dir.sub("data")
        try FileTree.writeRandom(data + "/photo.jpg", count: 2 << 20, seed: 1)
        try dir.write("data/notes/a.txt", "hello offsite\n")

        _ = try Self.succeed(runner, ["init", "--scrypt-log-n", "10"] + common)
        let again = try runner.run(["init", "--scrypt-log-n", "10"] + common)
        #expect(again.status != 0, "init over an existing S3 repository must fail: \(again)")
        _ = try Self.succeed(runner, ["backup", "path", data, "--name", "files"] + common)
        try dir.write("data/notes/b.txt", "second night\n")
        _ = try Self.succeed(runner, ["backup", "path", data, "--name", "files"] + common)

        var database: String?
        if let server = try TestPostgres.requireServer() {
            let name = try TestPostgres.createScratchDatabase(prefix: "s3cli")
            database = name
            try StackFixtures.createUmamiLike(db: server.withDatabase(name), rows: 300)
            _ = try Self.succeed(runner, ["backup", "db", name] + common)
        }
        defer {
            if let database {
                try? TestPostgres.dropDatabase(database)
                try? TestPostgres.dropDatabase(database + "_back")
            }
        }

        let restored = dir.sub("restored")
        _ = try Self.succeed(runner, ["restore", "files:latest", "--target", restored] + common)
        #expect(try FileTree.capture(restored) == FileTree.capture(data))
        if let database {
            _ = try Self.succeed(runner, ["restore", database, "--into", database + "_back"] + common)
            #expect(try Self.contentDigest(database + "_back") == Self.contentDigest(database))
        }
        let verify = try Self.succeed(runner, ["verify", "--read-data"] + common)
        #expect(verify.stdout.contains("no damage") || verify.stderr.contains("no damage"), "\(verify)")
        _ = try Self.succeed(runner, ["forget", "--source", "files", "--keep-last", "1"] + common)
        _ = try Self.succeed(runner, ["prune"] + common)
        let list = try Self.succeed(runner, ["snapshots", "--json"] + common)
        let snapshots = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(snapshots.filter { $0["source"] as? String == "files" }.count == 1)
        #expect(snapshots.count == (database == nil ? 1 : 2))
        _ = try Self.succeed(runner, ["verify", "--read-data"] + common)
        if let database {
            // The kept dump still restores whole after prune.
            try? TestPostgres.dropDatabase(database + "_back")
            _ = try Self.succeed(runner, ["restore", database, "--into", database + "_back"] + common)
            #expect(try Self.contentDigest(database + "_back") == Self.contentDigest(database))
        }
    }

    @Test func locksWorkOnS3TooABackupMeetsAnExclusiveLockAndExits11NamingIt() throws {
        guard let (repo, runner) = try Self.s3Location() else { return }
        let dir = TemporaryDirectory("s3-lock")
        let password = try dir.write("pass", "s3 lock secret\n")
        let common = ["--repo", repo, "--password-file", password]
        try dir.write("data/a.txt", "a")
        _ = try Self.succeed(runner, ["init", "--scrypt-log-n", "10"] + common)
        let backend = try BackendLocation.parse(repo).makeBackend(environment: runner.environment)
        let lock = try Repository.open(backend: backend, passphrase: Array("s3 lock secret".utf8))
            .lock(exclusive: true, command: "s3-lock-holder")
        let blocked = try runner.run(["backup", "path", dir.sub("data"), "--name", "files"] + common)
        #expect(blocked.status == 11 && blocked.stderr.contains("s3-lock-holder"), "\(blocked)")
        try lock.release()
        _ = try Self.succeed(runner, ["backup", "path", dir.sub("data"), "--name", "files"] + common)
    }

    /// Row count and an order-independent digest of every table of the umami fixture.
    static func contentDigest(_ database: String) throws -> [String] {
        let connection = try PGConnection.connect(try #require(try TestPostgres.requireServer()).withDatabase(database))
        return try ["website", "session", "website_event"].map { table in
            let result = try connection.execute("SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \(table) t")
            return table + " " + (result.string(0, 0) ?? "")
        }
    }

    @Test func copyGoesLocalToS3ToAFreshLocalRepositoryAndASecondCopyMovesNothing() throws {
        guard let (s3, runner) = try Self.s3Location() else { return }
        let local = try CLIRepository("s3-copy")
        let data = local.directory.sub("data")
        try FileTree.writeRandom(data + "/a.bin", count: 3 << 20, seed: 3)
        try local.directory.write("data/dir/b.txt", "bee\n")
        try local.backup(data, name: "files")
        try local.directory.write("data/dir/c.txt", "sea\n")
        try local.backup(data, name: "files")

        let s3Pass = try local.directory.write("s3pass", "other passphrase\n")
        let freshPass = try local.directory.write("freshpass", "third passphrase\n")
        let fresh = local.directory.sub("fresh")
        _ = try Self.succeed(runner, ["init", "--repo", s3, "--password-file", s3Pass, "--scrypt-log-n", "10"])
        _ = try Self.succeed(runner, ["init", "--repo", fresh, "--password-file", freshPass, "--scrypt-log-n", "10"])

        let toS3 = ["copy", "--repo", local.repo, "--password-file", local.passwordFile, "--to", s3, "--to-password-file", s3Pass, "--json"]
        let first = try Self.copyOutcome(Self.succeed(runner, toS3))
        #expect(first.copied == 2)
        let toFresh = ["copy", "--repo", s3, "--password-file", s3Pass, "--to", fresh, "--to-password-file", freshPass, "--json"]
        #expect(try Self.copyOutcome(Self.succeed(runner, toFresh)).copied == 2)

        let restored = local.directory.sub("restored")
        _ = try Self.succeed(runner, ["restore", "files:latest", "--target", restored, "--repo", fresh, "--password-file", freshPass])
        #expect(try FileTree.capture(restored) == FileTree.capture(data))

        let second = try Self.copyOutcome(Self.succeed(runner, toS3))
        #expect(second.copied == 0 && second.blobs == 0 && second.added == 0)
        let third = try Self.copyOutcome(Self.succeed(runner, toFresh))
        #expect(third.copied == 0 && third.blobs == 0)
    }

    @Test func aCopyKilledHalfWayCompletesOnRerunWithoutDuplicates() throws {
        guard let (s3, runner) = try Self.s3Location() else { return }
        let local = try CLIRepository("s3-copy-kill")
        let data = local.directory.sub("data")
        for night in 0..<4 {
            try FileTree.writeRandom(data + "/night\(night).bin", count: 12 << 20, seed: UInt64(20 + night))
            try local.backup(data, name: "files")
        }
        let s3Pass = try local.directory.write("s3pass", "other passphrase\n")
        _ = try Self.succeed(runner, ["init", "--repo", s3, "--password-file", s3Pass, "--scrypt-log-n", "10"])
        let arguments = ["copy", "--repo", local.repo, "--password-file", local.passwordFile, "--to", s3, "--to-password-file", s3Pass]

        let process = try runner.start(arguments + ["--parallel", "1"])
        // Kill it once the first snapshot has arrived (or after 20 s at most).
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline {
            let listed = try? Self.succeed(runner, ["snapshots", "--json", "--repo", s3, "--password-file", s3Pass])
            if let listed, listed.stdout.contains("\"id\"") { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let killedMidway = process.isRunning
        if killedMidway { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(killedMidway, "the copy finished before it could be killed: make the snapshots larger")

        let rerun = try Self.copyOutcome(Self.succeed(runner, arguments + ["--json"]))
        if killedMidway { #expect(rerun.copied >= 1 && rerun.copied < 4, "the rerun copied \(rerun.copied)") }
        let list = try Self.succeed(runner, ["snapshots", "--json", "--repo", s3, "--password-file", s3Pass])
        let snapshots = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(snapshots.count == 4)
        let target = try Repository.open(backend: BackendLocation.parse(s3).makeBackend(environment: runner.environment),
                                         passphrase: Array("other passphrase".utf8))
        let originals = try target.listSnapshots().snapshots.compactMap(\.snapshot.copiedFrom)
        #expect(Set(originals).count == 4)
        _ = try Self.succeed(runner, ["verify", "--read-data", "--repo", s3, "--password-file", s3Pass])
        let restored = local.directory.sub("restored")
        _ = try Self.succeed(runner, ["restore", "files:latest", "--target", restored, "--repo", s3, "--password-file", s3Pass])
        #expect(try FileTree.capture(restored) == FileTree.capture(data))
    }

    @Test func initWithCopyChunkerFromSharesIdsSoCopyDoesNotRechunk() throws {
        guard let (s3, runner) = try Self.s3Location() else { return }
        let local = try CLIRepository("s3-copy-shared")
        let data = local.directory.sub("data")
        try FileTree.writeRandom(data + "/a.bin", count: 2 << 20, seed: 5)
        try local.backup(data, name: "files")
        let s3Pass = try local.directory.write("s3pass", "other passphrase\n")
        _ = try Self.succeed(runner, ["init", "--repo", s3, "--password-file", s3Pass, "--scrypt-log-n", "10",
                                      "--copy-chunker-from", local.repo, "--from-password-file", local.passwordFile])
        let out = try Self.succeed(runner, ["copy", "--repo", local.repo, "--password-file", local.passwordFile,
                                            "--to", s3, "--to-password-file", s3Pass, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(object["shared_blob_ids"] as? Bool == true)
        let source = try local.open()
        let target = try Repository.open(backend: BackendLocation.parse(s3).makeBackend(environment: runner.environment),
                                         passphrase: Array("other passphrase".utf8))
        #expect(target.config.chunkerSharedWith == source.config.id)
        let sourceRoot = try #require(try source.listSnapshots().snapshots.first).snapshot.root
        let targetRoot = try #require(try target.listSnapshots().snapshots.first).snapshot.root
        #expect(sourceRoot == targetRoot)
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    static func copyOutcome(_ result: CLIRunner.Result) throws -> (copied: Int, blobs: Int, added: Int) {
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw Failure(description: "copy --json printed no object: \(result)")
        }
        return ((object["copied"] as? [Any])?.count ?? -1, object["blobs_copied"] as? Int ?? -1, object["bytes_added"] as? Int ?? -1)
    }
}
