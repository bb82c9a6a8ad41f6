import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

/// Every single-bit flip of a key file: damage is reported as damage, never as
/// a wrong passphrase. A flip may leave the key usable (the GCM tag proves the
/// master key), which is only possible outside the KDF input and the sealed key.
@Suite struct KeyFileDamageTests {
    enum Outcome: Equatable { case opened, damaged, wrongPassphrase, other(String) }

    static func open(_ backend: MemoryBackend, name: String, bytes: [UInt8]) -> Outcome {
        let handle = Handle(.key, name)
        try? backend.remove(handle)
        try? backend.save(handle, bytes)
        do {
            _ = try Repository.open(backend: backend, passphrase: Array("test".utf8))
            return .opened
        } catch is IntegrityError {
            return .damaged
        } catch let error as RepositoryError where error.code == .wrongPassphrase {
            return .wrongPassphrase
        } catch {
            return .other("\(error)")
        }
    }

    @Test func everyBitFlipOfAKeyFileIsDamageOrHarmless() throws {
        let backend = MemoryBackend()
        _ = try TestRepository(backend: backend)
        let name = try #require(try backend.list(.key).first?.name)
        let original = try backend.load(Handle(.key, name))
        let text = String(decoding: original, as: UTF8.self)
        // Bytes whose flip cannot touch the master key: the description fields and the checksum.
        var harmless = Set<Int>()
        for key in ["created", "host", "user", "checksum"] {
            let range = try #require(text.range(of: "\"\(key)\":\""))
            let start = text.utf8.distance(from: text.startIndex, to: range.lowerBound)
            let valueEnd = original[(start + key.utf8.count + 4)...].firstIndex(of: UInt8(ascii: "\""))!
            harmless.formUnion(start...valueEnd)
        }
        var counts: [String: Int] = [:]
        for offset in original.indices {
            for bit in 0..<8 {
                var damaged = original
                damaged[offset] ^= UInt8(1 << bit)
                let outcome = Self.open(backend, name: name, bytes: damaged)
                switch outcome {
                case .damaged: counts["damaged", default: 0] += 1
                case .opened:
                    counts["opened", default: 0] += 1
                    // base64 padding bits of the last digit before "=" decode to the same bytes.
                    let isPadding = original.indices.contains(offset + 1) && original[offset + 1] == UInt8(ascii: "=")
                    #expect(harmless.contains(offset) || isPadding, "a flip of bit \(bit) at byte \(offset) ('\(UnicodeScalar(original[offset]))') went unnoticed")
                default:
                    Issue.record("a flip of bit \(bit) at byte \(offset) ('\(UnicodeScalar(original[offset]))') gave \(outcome)")
                }
            }
        }
        #expect(Self.open(backend, name: name, bytes: original) == .opened)
        #expect((counts["damaged"] ?? 0) > original.count * 6, "\(counts)")
    }
}
