import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Messages that say what happened: a damaged key file is damage (exit 13),
/// not a wrong passphrase; an unreadable snapshot document is named as
/// damaged, not "no snapshot"; `init` on a regular file says it is a file.
@Suite("CLI messages")
struct MessageTests {
    /// The one key file of a fresh repository: its path and bytes.
    static func keyFile(_ fixture: CLIRepository) throws -> (path: String, bytes: [UInt8]) {
        let name = try #require(try fixture.files(in: "keys").first)
        let path = fixture.repo + "/" + name
        return (path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// The byte offsets of the value of `key` in a key file's JSON (inside the quotes for strings).
    static func valueRange(of key: String, in bytes: [UInt8]) throws -> Range<Int> {
        let text = String(decoding: bytes, as: UTF8.self)
        let marker = "\"\(key)\":"
        let start = try #require(text.range(of: marker), "no \(key) in \(text)").upperBound
        var begin = text.utf8.distance(from: text.startIndex, to: start)
        var end = begin
        if bytes[begin] == UInt8(ascii: "\"") {
            begin += 1
            end = bytes[begin...].firstIndex(of: UInt8(ascii: "\""))!
        } else {
            end = bytes[begin...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") }!
        }
        return begin..<end
    }

    /// A position in `range` whose byte stays a letter or digit when bit 0 is flipped
    /// (so base64 and numbers still parse: the flip reaches the KDF or the cipher).
    static func quietPosition(in range: Range<Int>, of bytes: [UInt8], from end: Bool = false) -> Int? {
        let candidates = end ? Array(range.reversed()) : Array(range)
        return candidates.first { i in
            let flipped = bytes[i] ^ 1
            let alnum: (UInt8) -> Bool = { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }
            return alnum(bytes[i]) && alnum(flipped)
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func aFlipInEveryPartOfAKeyFileIsReportedAsDamageNotAsAWrongPassphrase() throws {
        let fixture = try CLIRepository()
        let (path, original) = try Self.keyFile(fixture)
        let keyName = (path as NSString).lastPathComponent
        var cases: [(String, Int)] = [
            ("JSON structure: opening brace", 0),
            ("JSON structure: closing brace", original.count - 1),
            ("JSON structure: a colon", try Self.valueRange(of: "kdf", in: original).lowerBound - 2),
        ]
        let n = try Self.valueRange(of: "n", in: original), r = try Self.valueRange(of: "r", in: original)
        let p = try Self.valueRange(of: "p", in: original)
        cases += [("KDF parameter N", n.lowerBound), ("KDF parameter r", r.lowerBound), ("KDF parameter p", p.lowerBound)]
        let kdf = try Self.valueRange(of: "kdf", in: original)
        cases.append(("KDF name", kdf.lowerBound))
        let salt = try Self.valueRange(of: "salt", in: original)
        cases.append(("salt", try #require(Self.quietPosition(in: salt, of: original))))
        let sealed = try Self.valueRange(of: "master_key", in: original)
        // The sealed master key is ciphertext then a 16-byte tag: the last 21 base64 digits are all tag.
        cases.append(("ciphertext", try #require(Self.quietPosition(in: sealed.lowerBound..<(sealed.upperBound - 24), of: original))))
        cases.append(("tag", try #require(Self.quietPosition(in: (sealed.upperBound - 20)..<sealed.upperBound, of: original, from: true))))
        #expect((try? Self.valueRange(of: "checksum", in: original)) != nil, "a new key file has no checksum")

        for (part, offset) in cases {
            var damaged = original
            damaged[offset] ^= 1
            try Self.write(damaged, to: path)
            let result = try fixture.run(["snapshots"])
            #expect(result.status == 13, "a flip in the \(part) (byte \(offset)) gave: \(result)")
            #expect(result.stderr.contains("keys/\(keyName)") && result.stderr.contains("damaged"), "\(part): \(result)")
            #expect(!result.stderr.contains("wrong passphrase"), "\(part): \(result)")
        }
        try Self.write(original, to: path)
        #expect(try fixture.run(["snapshots"]).status == 0)
        // The control: an intact key file with another passphrase is a wrong passphrase.
        let wrong = try fixture.directory.write("wrong", "not the passphrase\n")
        let refused = try fixture.run(["snapshots"], passwordFile: wrong)
        #expect(refused.status == 12 && refused.stderr.contains("wrong passphrase"), "\(refused)")
    }

    /// `created`, `host`, `user` and the checksum itself only describe the key:
    /// the master key is authenticated by its GCM tag, so the repository still
    /// opens with the right passphrase; `key list` names the checksum mismatch.
    @Test(arguments: ["host", "user", "checksum"])
    func aFlipInAKeyFilesDescriptionStillOpensAndKeyListNamesTheDamage(field: String) throws {
        let fixture = try CLIRepository()
        let (path, original) = try Self.keyFile(fixture)
        var damaged = original
        damaged[try #require(Self.quietPosition(in: try Self.valueRange(of: field, in: original), of: original))] ^= 1
        try Self.write(damaged, to: path)
        #expect(try fixture.run(["snapshots"]).status == 0)
        let repository = try fixture.open()
        let problem = try #require(try repository.listKeys().first?.problem)
        #expect(problem.contains("checksum"), "\(problem)")
        // With another passphrase the same file is damage: it cannot be told from a wrong one otherwise.
        let wrong = try fixture.directory.write("wrong", "not the passphrase\n")
        #expect(try fixture.run(["snapshots"], passwordFile: wrong).status == 13)
    }

    /// A key file written before key checksums existed still opens. A flip in
    /// its salt, KDF parameters or sealed key cannot be told from a wrong
    /// passphrase even in principle (both fail the same GCM tag, and nothing
    /// unkeyed covers the file), so the message says the file may be damaged.
    @Test func aKeyFileWithoutAChecksumStillOpensAndItsDamageIsNamedAsPossible() throws {
        let fixture = try CLIRepository()
        let (path, original) = try Self.keyFile(fixture)
        let text = String(decoding: original, as: UTF8.self)
        let checksum = try Self.valueRange(of: "checksum", in: original)
        let field = "\"checksum\":\"" + String(decoding: original[checksum], as: UTF8.self) + "\","
        let legacy = Array(text.replacingOccurrences(of: field, with: "").utf8)
        #expect(legacy.count == original.count - field.utf8.count)
        try Self.write(legacy, to: path)
        #expect(try fixture.run(["snapshots"]).status == 0, "a key file without a checksum no longer opens")

        var damaged = legacy
        damaged[try Self.valueRange(of: "r", in: legacy).lowerBound] ^= 1
        try Self.write(damaged, to: path)
        let result = try fixture.run(["snapshots"])
        #expect(result.status == 12, "\(result)")
        #expect(result.stderr.contains("no checksum"), "the message does not say damage is possible: \(result)")
    }

    /// One snapshot of source "t"; returns its id.
    static func oneSnapshot(_ fixture: CLIRepository) throws -> String {
        try fixture.directory.write("src/a.txt", "alpha\n")
        return try #require(try fixture.backup(fixture.directory.sub("src"), name: "t").snapshot)
    }

    @Test(arguments: [false, true])
    func anUnreadableSnapshotDocumentIsNamedAsDamaged(renamedToItsHash: Bool) throws {
        let fixture = try CLIRepository()
        let id = try Self.oneSnapshot(fixture)
        let path = fixture.repo + "/snapshots/" + id
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 3] ^= 1  // inside the GCM tag: the document no longer decrypts
        try FileManager.default.removeItem(atPath: path)
        var name = id
        if renamedToItsHash {
            // The name matches the content again, so only decryption can fail.
            name = SHA256.hash(bytes).hex
        }
        try Self.write(bytes, to: fixture.repo + "/snapshots/" + name)

        for command in [["restore", "t:latest", "--target", fixture.directory.sub("out")], ["ls", "t:latest"],
                        ["restore", "t", "--target", fixture.directory.sub("out2")], ["ls", String(name.prefix(8))]] {
            let result = try fixture.run(command)
            #expect(result.status == 13, "\(command): \(result)")
            #expect(result.stderr.contains("snapshots/\(name)") && result.stderr.contains("damage"), "\(command): \(result)")
            #expect(!result.stderr.contains("no snapshot"), "\(command): \(result)")
        }
    }

    @Test func initOnARegularFileSaysItIsAFile() throws {
        let directory = TemporaryDirectory("stackbackup-cli")
        let file = try directory.write("not-a-folder", "hello\n")
        let password = try directory.write("passphrase", "pw\n")
        for repo in [file, file + "/repo"] {
            let result = try CLIRunner().run(["init", "--repo", repo, "--password-file", password, "--scrypt-log-n", "10"])
            #expect(result.status == 64, "\(repo): \(result)")
            #expect(result.stderr.contains("\(file) is a file"), "\(repo): \(result)")
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "hello\n")
    }
}
