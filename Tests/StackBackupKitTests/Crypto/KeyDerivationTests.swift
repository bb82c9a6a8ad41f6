import Testing
@testable import StackBackupKit

@Suite struct KeyDerivationTests {
    static func hex(_ s: String) -> [UInt8] { [UInt8](hexString: s)! }

    struct HKDFVector: Sendable, CustomTestStringConvertible {
        let name: String, ikm: [UInt8], salt: [UInt8], info: [UInt8], okm: String
        var testDescription: String { name }
    }

    /// RFC 5869 appendix A, test cases 1–3.
    static let hkdfVectors: [HKDFVector] = [
        HKDFVector(name: "RFC 5869 case 1", ikm: [UInt8](repeating: 0x0b, count: 22), salt: Array(0x00...0x0c), info: Array(0xf0...0xf9),
                   okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
        HKDFVector(name: "RFC 5869 case 2", ikm: Array(0x00...0x4f), salt: Array(0x60...0xaf), info: Array(0xb0...0xff),
                   okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"),
        HKDFVector(name: "RFC 5869 case 3", ikm: [UInt8](repeating: 0x0b, count: 22), salt: [], info: [],
                   okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
    ]

    @Test(arguments: hkdfVectors)
    func hkdfMatchesRFC5869(_ v: HKDFVector) throws {
        let okm = try HKDF.sha256(key: SecretBytes(v.ikm), salt: v.salt, info: v.info, length: v.okm.count / 2)
        #expect(okm.bytes.hexString == v.okm)
    }

    @Test func hkdfRejectsEmptyKeysAndImpossibleLengths() {
        #expect(throws: CryptoError.self) { try HKDF.sha256(key: SecretBytes([]), salt: [], info: [], length: 32) }
        #expect(throws: CryptoError.self) { try HKDF.sha256(key: SecretBytes([1]), salt: [], info: [], length: 0) }
        #expect(throws: CryptoError.self) { try HKDF.sha256(key: SecretBytes([1]), salt: [], info: [], length: 255 * 32 + 1) }
    }

    @Test func scryptMatchesRFC7914EmptyPassphraseVector() throws {
        let key = try Scrypt.derive(passphrase: [], salt: [], n: 16, r: 1, p: 1, length: 64)
        #expect(key.bytes.hexString == "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
    }

    @Test func scryptMatchesRFC7914PasswordVector() throws {
        let key = try Scrypt.derive(passphrase: Array("password".utf8), salt: Array("NaCl".utf8), n: 1024, r: 8, p: 16, length: 64)
        #expect(key.bytes.hexString == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    @Test func scryptRejectsInvalidParameters() {
        for (n, r, p) in [(UInt64(0), UInt64(8), UInt64(1)), (1, 8, 1), (1000, 8, 1), (1024, 0, 1), (1024, 8, 0), (1 << 30, 8, 1)] {
            let error = #expect(throws: CryptoError.self) { try Scrypt.derive(passphrase: [1], salt: [2], n: n, r: r, p: p, length: 32) }
            #expect(error?.code == .invalidInput)
        }
    }
}
