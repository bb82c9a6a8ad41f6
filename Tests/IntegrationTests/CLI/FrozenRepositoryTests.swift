import Foundation
#if canImport(Glibc)
import Glibc
#endif
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Tests/Fixtures/frozen-v1: a repository written by stackbackup at commit
/// ea41117 and committed as it was (see its README.md). Whatever the code
/// becomes, it must keep reading, verifying and restoring it. The tests work
/// on a copy in a temporary folder and never write into Tests/Fixtures.
enum FrozenRepository {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/frozen-v1").path
    static var passwordFile: String { fixture + "/passphrase" }

    static let globalsID = "298e661fe0204d659e168178ccb794f2548c7f432e3609105c336948ec359533"
    static let volumeID = "37458b608a127c913f726a1693caa20e3977094c73e076f1ee3e23180c68d42d"
    static let databaseID = "cbdb17ed226cea69ff9b182d26393891a734764e02bf9285cdeadfe479b307f0"

    /// SHA256SUMS: relative path → hex digest.
    static func sums() throws -> [String: String] {
        let text = try String(contentsOfFile: fixture + "/SHA256SUMS", encoding: .utf8)
        var sums: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { throw FrozenRepository.Failure(description: "bad SHA256SUMS line: \(line)") }
            sums[String(parts[1].drop { $0 == " " || $0 == "*" })] = String(parts[0])
        }
        return sums
    }

    /// DIRECTORIES: every folder of the repository (git keeps no empty ones).
    static func directories() throws -> [String] {
        try String(contentsOfFile: fixture + "/DIRECTORIES", encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// A copy of repo/ as the binary wrote it: every folder of DIRECTORIES
    /// (mode 0700) and every file of SHA256SUMS (mode 0600).
    static func copy(into directory: TemporaryDirectory) throws -> String {
        let target = directory.sub("repo")
        try FileTree.mkdir(Array(target.utf8), mode: 0o700)
        for folder in try directories() {
            try FileTree.mkdir(FileTree.join(target, Array(folder.utf8)), mode: 0o700)
        }
        for file in try sums().keys.sorted() {
            guard let bytes = FileManager.default.contents(atPath: fixture + "/repo/" + file) else {
                throw FrozenRepository.Failure(description: "the fixture lacks repo/\(file)")
            }
            try FileTree.write(FileTree.join(target, Array(file.utf8)), [UInt8](bytes), mode: 0o600)
        }
        return target
    }

    static func run(_ arguments: [String], repo: String, environment: [String: String] = [:]) throws -> CLIRunner.Result {
        try CLIRunner(environment: environment).run(arguments + ["--repo", repo, "--password-file", passwordFile])
    }

    static func succeed(_ arguments: [String], repo: String, environment: [String: String] = [:]) throws -> CLIRunner.Result {
        let result = try run(arguments, repo: repo, environment: environment)
        guard result.status == 0 else {
            throw FrozenRepository.Failure(description: "`stackbackup \(arguments.joined(separator: " "))` failed: \(result)")
        }
        return result
    }

    static func snapshots(repo: String) throws -> [[String: Any]] {
        let listing = try succeed(["snapshots", "--json"], repo: repo)
        guard let list = try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]] else {
            throw FrozenRepository.Failure(description: "snapshots --json printed no list: \(listing)")
        }
        return list
    }
}

struct FrozenRepositoryTests {
    @Test func everyCommittedFileMatchesSHA256SUMS() throws {
        let sums = try FrozenRepository.sums()
        #expect(sums.count == 11)
        // Nothing more and nothing less than SHA256SUMS and DIRECTORIES in the fixture.
        let fixture = try FileTree.capture(FrozenRepository.fixture + "/repo", contents: false)
        let path: (FileTree.Entry) -> String = { String(decoding: $0.path, as: UTF8.self) }
        #expect(Set(fixture.filter { $0.type == "f" }.map(path)) == Set(sums.keys))
        #expect(Set(fixture.filter { $0.type != "f" }.map(path)).isSubset(of: Set(try FrozenRepository.directories())))
        #expect(fixture.allSatisfy { $0.type == "f" || $0.type == "d" })

        let directory = TemporaryDirectory("stackbackup-frozen")
        let repo = try FrozenRepository.copy(into: directory)
        for (file, digest) in sums {
            let bytes = try #require(FileManager.default.contents(atPath: repo + "/" + file))
            #expect(SHA256.hash([UInt8](bytes)).hex == digest, "\(file)")
        }
        #expect(FileManager.default.fileExists(atPath: repo + "/locks"))
    }

    @Test func verifyReadsAndChecksAllData() throws {
        let directory = TemporaryDirectory("stackbackup-frozen")
        let repo = try FrozenRepository.copy(into: directory)
        let full = try FrozenRepository.run(["verify", "--read-data"], repo: repo)
        #expect(full.status == 0, "\(full)")
        let files = try CLIRunner().run(["verify", "--files-only", "--repo", repo])
        #expect(files.status == 0, "\(files)")
    }

    @Test func snapshotsListTheThreeFrozenSnapshots() throws {
        let directory = TemporaryDirectory("stackbackup-frozen")
        let repo = try FrozenRepository.copy(into: directory)
        let list = try FrozenRepository.snapshots(repo: repo)
        let byID = Dictionary(uniqueKeysWithValues: list.compactMap { s in (s["id"] as? String).map { ($0, s) } })
        #expect(Set(byID.keys) == [FrozenRepository.globalsID, FrozenRepository.volumeID, FrozenRepository.databaseID], "\(list)")
        #expect(byID[FrozenRepository.globalsID]?["kind"] as? String == "globals")
        #expect(byID[FrozenRepository.globalsID]?["source"] as? String == "globals")
        #expect(byID[FrozenRepository.volumeID]?["kind"] as? String == "volume")
        #expect(byID[FrozenRepository.volumeID]?["source"] as? String == "frozen-files")
        #expect(byID[FrozenRepository.databaseID]?["kind"] as? String == "postgres")
        #expect(byID[FrozenRepository.databaseID]?["source"] as? String == "frozen_app")
        let stats = byID[FrozenRepository.databaseID]?["stats"] as? [String: Any]
        #expect((stats?["tables"] as? NSNumber)?.intValue == 3, "\(list)")
        #expect((stats?["rows"] as? NSNumber)?.intValue == 772, "\(list)")
        // Recorded without size or counts: `snapshots` reads them from the manifest.
        let globals = byID[FrozenRepository.globalsID]?["stats"] as? [String: Any]
        #expect((globals?["roles"] as? NSNumber)?.intValue == 2, "\(list)")
        #expect((globals?["memberships"] as? NSNumber)?.intValue == 0, "\(list)")
        #expect(((globals?["bytes_total"] as? NSNumber)?.intValue ?? 0) > 0, "\(list)")
        let table = try FrozenRepository.succeed(["snapshots"], repo: repo).stdout
        #expect(table.split(separator: "\n").contains { $0.hasPrefix(String(FrozenRepository.globalsID.prefix(8))) && $0.contains("2 roles, 0 memberships") }, "\(table)")
        for snapshot in list { #expect(snapshot["tool_version"] as? String == "0.1.0") }
    }

    @Test func theVolumeRestoresToTheCommittedFolder() throws {
        let directory = TemporaryDirectory("stackbackup-frozen")
        let repo = try FrozenRepository.copy(into: directory)
        let expected = directory.sub("expected")
        let make = try Process.run(URL(fileURLWithPath: "/bin/bash"), arguments: [FrozenRepository.fixture + "/make-files.sh", expected])
        make.waitUntilExit()
        try #require(make.terminationStatus == 0)
        let want = try FileTree.capture(expected)
        #expect(want.count == 12, "\(want)")  // 7 files, 2 symlinks, 3 folders
        for target in ["by-name", "by-id"] {
            let what = target == "by-name" ? "frozen-files:latest" : String(FrozenRepository.volumeID.prefix(8))
            let restore = try FrozenRepository.run(["restore", what, "--target", directory.sub(target)], repo: repo)
            #expect(restore.status == 0, "\(restore)")
            // Names, types, modes, sizes, modification times, contents, link targets.
            let got = try FileTree.capture(directory.sub(target))
            #expect(got == want, "\(target): \(got.map(\.description).joined(separator: "\n"))")
        }
    }
}

/// The database and globals snapshots, restored on the test server (and on a
/// fresh empty one for the roles) and compared with source.sql built anew.
@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct FrozenRepositoryDatabaseTests {
    static let tables = ["public.authors", "public.posts", "public.post_ratings", "public.author_stats", "public.published_posts"]

    /// Row count and content digest of each table/view, sequences, the large
    /// object and the matview's state.
    static func content(_ config: PGConnectionConfig) throws -> [String] {
        let db = try PGConnection.connect(config)
        try db.execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET bytea_output = 'hex'; SET extra_float_digits = 1")
        var out: [String] = []
        for table in tables {
            let r = try db.execute("SELECT count(*), md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM \(table) t")
            out.append("\(table) \(r.int(0, 0) ?? -1) \(r.string(0, 1) ?? "-")")
        }
        for sequence in ["public.authors_id_seq", "public.posts_id_seq"] {
            let r = try db.execute("SELECT last_value, is_called FROM \(sequence)")
            out.append("sequence \(sequence) \(r.string(0, 0) ?? "-") \(r.string(0, 1) ?? "-")")
        }
        let sequences = try db.execute("SELECT count(*) FROM pg_sequences")
        out.append("sequences \(sequences.int(0, 0) ?? -1)")
        let los = try db.execute("SELECT oid::text || ' ' || pg_get_userbyid(lomowner) || ' ' || md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid")
        for row in 0..<los.rowCount { out.append("large object " + (los.string(row, 0) ?? "-")) }
        let matview = try db.execute("SELECT relispopulated FROM pg_class WHERE oid = 'public.author_stats'::regclass")
        out.append("author_stats populated \(matview.string(0, 0) ?? "-")")
        return out
    }

    /// pg_dump --schema-only without comment lines, \restrict/\unrestrict and blank lines.
    static func schema(_ database: String, environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["pg_dump", "--schema-only", "--dbname=\(database)"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FrozenRepository.Failure(description: "pg_dump \(database) exited \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
            .filter { !$0.hasPrefix("--") && !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
            .joined(separator: "\n")
    }

    static func uniqueName(_ prefix: String) -> String {
        "sbt_\(prefix)_\(getpid())_\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    static func databases(startingWith prefix: String, _ admin: PGConnection) throws -> [String] {
        let r = try admin.query("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [prefix])
        return (0..<r.rowCount).compactMap { r.string($0, 0) }
    }

    @Test func theDatabaseRestoresEqualToSourceSQLBuiltAnew() throws {
        let server = try #require(try TestPostgres.requireServer())
        let admin = try PGConnection.connect(server.withDatabase("postgres"))
        let hadRole = try admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", ["frozen_reader"]).rowCount > 0
        let reference = try TestPostgres.createScratchDatabase(prefix: "frozen_ref")
        let restored = Self.uniqueName("frozen_restored")
        defer {
            try? TestPostgres.dropDatabase(reference)
            for name in (try? Self.databases(startingWith: restored, admin)) ?? [] { try? TestPostgres.dropDatabase(name) }
            if !hadRole { _ = try? admin.execute("DROP ROLE IF EXISTS frozen_reader") }
        }
        let sql = try String(contentsOfFile: FrozenRepository.fixture + "/source.sql", encoding: .utf8)
        try PGConnection.connect(server.withDatabase(reference)).execute(sql)

        let directory = TemporaryDirectory("stackbackup-frozen")
        let repo = try FrozenRepository.copy(into: directory)
        let restore = try FrozenRepository.run(["restore", "frozen_app", "--into", restored], repo: repo)
        #expect(restore.status == 0, "\(restore)")
        let byID = try FrozenRepository.run(["restore", "frozen_app", "--snapshot", String(FrozenRepository.databaseID.prefix(8)),
                                             "--into", restored + "_by_id"], repo: repo)
        #expect(byID.status == 0, "\(byID)")

        let want = try Self.content(server.withDatabase(reference))
        // What ea41117 dumped, independent of both sides.
        #expect(want.contains { $0.hasPrefix("public.authors 22 ") })
        #expect(want.contains { $0.hasPrefix("public.posts 300 ") })
        #expect(want.contains { $0.hasPrefix("public.post_ratings 450 ") })
        #expect(want.contains { $0.hasPrefix("public.author_stats 22 ") })
        #expect(want.contains("sequence public.authors_id_seq 500 f"))
        #expect(want.contains("sequence public.posts_id_seq 1000 t"))
        #expect(want.contains("large object 424242 \(server.user ?? "postgres") 24002ee080af1e5a68527a37e39ba96b"), "\(want)")
        #expect(want.contains("author_stats populated t"))
        let wantSchema = try Self.schema(reference)
        #expect(wantSchema.contains("CREATE TRIGGER posts_slug") && wantSchema.contains("GRANT SELECT ON TABLE public.posts TO frozen_reader"))
        for name in [restored, restored + "_by_id"] {
            #expect(try Self.content(server.withDatabase(name)) == want, "\(name)")
            #expect(try Self.schema(name) == wantSchema, "\(name)")
        }
    }

    @Test func theGlobalsSnapshotRecreatesFrozenReaderOnAFreshServer() throws {
        _ = try #require(try TestPostgres.requireServer())
        let directory = TemporaryDirectory("stackbackup-frozen")
        let repo = try FrozenRepository.copy(into: directory)
        let globals = try FrozenRepository.snapshots(repo: repo).filter { $0["source"] as? String == "globals" }
        #expect(globals.map { $0["id"] as? String } == [FrozenRepository.globalsID])

        let fresh = try ScratchCluster()
        defer { fresh.stop() }
        let target = try PGConnection.connect(fresh.config)
        #expect(try target.query("SELECT 1 FROM pg_roles WHERE rolname = $1", ["frozen_reader"]).rowCount == 0)
        let environment = ["PGHOST": fresh.config.host ?? "127.0.0.1", "PGPORT": String(fresh.config.port ?? 5432)]
        let restore = try FrozenRepository.run(["restore", "frozen_app", "--with-roles"], repo: repo, environment: environment)
        #expect(restore.status == 0, "\(restore)")
        let role = try target.query("SELECT rolcanlogin::text FROM pg_roles WHERE rolname = $1", ["frozen_reader"])
        #expect(role.rowCount == 1 && role.string(0, 0) == "false", "frozen_reader was not recreated from the globals snapshot")
        let db = try PGConnection.connect(fresh.config.withDatabase("frozen_app"))
        let grant = try db.execute("SELECT has_table_privilege('frozen_reader', 'public.posts', 'SELECT')::text")
        #expect(grant.string(0, 0) == "true")
        #expect(try Self.content(fresh.config.withDatabase("frozen_app")).contains("large object 424242 postgres 24002ee080af1e5a68527a37e39ba96b"))
    }
}
