import Testing
@testable import StackBackupKit
import StackBackupTestSupport

@Suite struct HashTests {
    @Test func sha256OfAbcIsTheFIPSValue() {
        #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func streamingSHA256EqualsOneShot() {
        var random = SeededRandom(seed: 42)
        let data = random.bytes(1_000_003)
        var hasher = SHA256Hasher()
        data.withUnsafeBytes { raw in
            var offset = 0
            var piece = 1
            while offset < raw.count {
                let end = min(raw.count, offset + piece)
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                offset = end
                piece = piece * 3 + 1
            }
        }
        #expect(hasher.finalize() == SHA256.hash(data))
    }

    struct HMACVector: Sendable, CustomTestStringConvertible {
        let name: String, key: [UInt8], data: [UInt8], mac: String
        var testDescription: String { name }
    }

    /// RFC 4231 test cases 1, 2, 3, 4, 6, 7 (case 5 is a truncated MAC).
    static let hmacVectors: [HMACVector] = [
        HMACVector(name: "RFC 4231 case 1", key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8),
                   mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        HMACVector(name: "RFC 4231 case 2", key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
                   mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        HMACVector(name: "RFC 4231 case 3", key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50),
                   mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        HMACVector(name: "RFC 4231 case 4", key: Array(0x01...0x19), data: [UInt8](repeating: 0xcd, count: 50),
                   mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        HMACVector(name: "RFC 4231 case 6", key: [UInt8](repeating: 0xaa, count: 131),
                   data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
                   mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        HMACVector(name: "RFC 4231 case 7", key: [UInt8](repeating: 0xaa, count: 131),
                   data: Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
                   mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    @Test(arguments: hmacVectors)
    func hmacSHA256MatchesRFC4231(_ v: HMACVector) {
        #expect(HMACSHA256(key: SecretBytes(v.key)).authenticate(v.data).hex == v.mac)
    }

    @Test func hmacOfEmptyDataDiffersByKey() {
        let a = HMACSHA256(key: SecretBytes([1])).authenticate([])
        let b = HMACSHA256(key: SecretBytes([2])).authenticate([])
        #expect(a != b)
    }
}
