import Testing
@testable import StackBackupKit

@Suite struct CryptoSupportTests {
    @Test func hexRoundTripsAndRejectsGarbage() {
        let bytes: [UInt8] = [0x00, 0x01, 0xab, 0xff]
        #expect(bytes.hexString == "0001abff")
        #expect([UInt8](hexString: "0001ABff") == bytes)
        #expect([UInt8](hexString: "") == [])
        #expect([UInt8](hexString: "abc") == nil)
        #expect([UInt8](hexString: "zz") == nil)
    }

    @Test func secureRandomGivesTheRequestedCountAndDiffers() {
        #expect(SecureRandom.bytes(0).isEmpty)
        let a = SecureRandom.bytes(32), b = SecureRandom.bytes(32)
        #expect(a.count == 32 && b.count == 32)
        #expect(a != b)
    }

    @Test func secretBytesKeepsACopyAndComparesInConstantTime() {
        var source: [UInt8] = [1, 2, 3]
        let secret = SecretBytes(source)
        source[0] = 9
        #expect(secret.bytes == [1, 2, 3])
        #expect(secret.count == 3)
        #expect(secret.constantTimeEquals(SecretBytes([1, 2, 3])))
        #expect(!secret.constantTimeEquals(SecretBytes([1, 2, 4])))
        #expect(SecretBytes([]).bytes == [])
    }

    @Test func cryptoErrorsDescribeWhatFailed() {
        let error = CryptoError(.authenticationFailed, function: "AES-256-GCM open", reason: "x")
        #expect(error.description.contains("AES-256-GCM open"))
    }
}
