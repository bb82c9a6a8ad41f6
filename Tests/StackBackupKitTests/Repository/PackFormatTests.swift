import Foundation
import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite struct PackFormatTests {
    let key = MasterKey(encKey: SecretBytes([UInt8](repeating: 1, count: 32)), idKey: SecretBytes([UInt8](repeating: 2, count: 32)),
                        chunkerSeed: SecretBytes([UInt8](repeating: 3, count: 32)))

    func makePack(_ blobs: [[UInt8]]) throws -> (bytes: [UInt8], ids: [ObjectID]) {
        let writer = try PackWriter(key: key, capacity: 1 << 16)
        var ids: [ObjectID] = []
        for blob in blobs {
            let id = HMACSHA256(key: key.idKey).authenticate(blob)
            _ = try blob.withUnsafeBytes { try writer.add(type: .data, id: id, flags: 0, rawLength: blob.count, payload: $0) }
            ids.append(id)
        }
        return (try writer.finish(), ids)
    }

    @Test func aPackHasTheDocumentedByteLayout() throws {
        let (bytes, ids) = try makePack([[1, 2, 3], Array(repeating: 9, count: 10)])
        // prefix: "SBKP", version 1, three zero bytes, 32-byte salt
        #expect(Array(bytes[0..<8]) == [0x53, 0x42, 0x4B, 0x50, 1, 0, 0, 0])
        // blobs: 3 + 16 and 10 + 16 bytes; header: 4 + 2 * 42 + 16; trailer 8
        let headerLength = 4 + 2 * Pack.entrySize + AESGCM.tagSize
        #expect(bytes.count == 40 + 19 + 26 + headerLength + 8)
        #expect(Array(bytes.suffix(8)) == [UInt8(headerLength), 0, 0, 0, 0x53, 0x42, 0x4B, 0x45])
        let header = try Pack.readHeader(of: bytes, key: key, object: "test pack")
        #expect(header.salt == Array(bytes[8..<40]))
        #expect(header.entries.map(\.offset) == [40, 59])
        #expect(header.entries.map(\.storedLength) == [19, 26])
        #expect(header.entries.map(\.rawLength) == [3, 10])
        #expect(header.entries.map(\.id) == ids)
        #expect(header.entries.map(\.position) == [0, 1])
    }

    @Test func theHeaderEntriesEncodeFieldByField() throws {
        let id = ObjectID(bytes: [UInt8](0..<32))!
        let entry = Pack.Entry(type: .tree, flags: 1, rawLength: 0x0102_0304, storedLength: 0x20, id: id, offset: 40, position: 0)
        let encoded = Pack.encodeEntries([entry])
        #expect(encoded == [1, 0, 0, 0, 1, 1, 4, 3, 2, 1, 0x20, 0, 0, 0] + [UInt8](0..<32))
    }

    @Test func aTruncatedPackIsAnIntegrityError() throws {
        let (bytes, _) = try makePack([[1, 2, 3]])
        for length in [0, 7, 8, 39, 40, 60, bytes.count - 1] {
            #expect(throws: IntegrityError.self) { _ = try Pack.readHeader(of: Array(bytes.prefix(length)), key: key, object: "p") }
        }
    }

    @Test func aHugeHeaderLengthFieldIsRefusedWithoutAllocating() throws {
        var (bytes, _) = try makePack([[1, 2, 3]])
        bytes.replaceSubrange((bytes.count - 8)..<(bytes.count - 4), with: [0xff, 0xff, 0xff, 0x7f])
        #expect(throws: IntegrityError.self) { _ = try Pack.readHeader(of: bytes, key: key, object: "p") }
    }

    @Test func randomGarbageNeverCrashesTheHeaderDecoder() throws {
        var random = SeededRandom(seed: 99)
        let (valid, _) = try makePack([[1, 2, 3], [4, 5]])
        for round in 0..<300 {
            var bytes = round % 2 == 0 ? random.bytes(Int(random.next() % 400)) : valid
            if round % 2 == 1 {
                // Any byte outside the sealed blobs (40..<77), which the header does not cover.
                var i = Int(random.next() % UInt64(bytes.count - 37))
                if i >= 40 { i += 37 }
                bytes[i] ^= UInt8(truncatingIfNeeded: random.next() | 1)
            }
            #expect(throws: IntegrityError.self) { _ = try Pack.readHeader(of: bytes, key: key, object: "p") }
        }
    }

    @Test func aSealedDocumentRoundTripsAndRefusesTampering() throws {
        let text = Array("{\"hello\":\"world\"}".utf8)
        var sealed = try SealedFile.seal(text, kind: .index, key: key)
        #expect(Array(sealed[0..<6]) == [0x53, 0x42, 0x4B, 0x46, 1, 1])
        #expect(try SealedFile.open(sealed, kind: .index, key: key, object: "i") == text)
        #expect(throws: IntegrityError.self) { _ = try SealedFile.open(sealed, kind: .snapshot, key: key, object: "i") }
        sealed[sealed.count - 1] ^= 1
        #expect(throws: IntegrityError.self) { _ = try SealedFile.open(sealed, kind: .index, key: key, object: "i") }
        #expect(throws: IntegrityError.self) { _ = try SealedFile.open(Array(sealed.prefix(20)), kind: .index, key: key, object: "i") }
    }
}

extension PackFormatTests {
    @Test func aLyingEntryCountIsRefused() {
        #expect(throws: IntegrityError.self) { _ = try Pack.decodeEntries([0xff, 0xff, 0xff, 0xff], object: "p") }
    }
}
