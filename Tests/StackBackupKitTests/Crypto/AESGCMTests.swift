import Testing
@testable import StackBackupKit

/// McGrew–Viega GCM specification test cases 13–16 (AES-256, 96-bit IV).
@Suite struct AESGCMTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String, key: String, iv: String, plaintext: String, aad: String, ciphertext: String, tag: String
        var testDescription: String { name }
    }

    static let key15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
    static let plaintext15 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
    static let ciphertext15 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"

    static let vectors: [Vector] = [
        Vector(name: "case 13", key: String(repeating: "00", count: 32), iv: String(repeating: "00", count: 12),
               plaintext: "", aad: "", ciphertext: "", tag: "530f8afbc74536b9a963b4f1c4cb738b"),
        Vector(name: "case 14", key: String(repeating: "00", count: 32), iv: String(repeating: "00", count: 12),
               plaintext: String(repeating: "00", count: 16), aad: "",
               ciphertext: "cea7403d4d606b6e074ec5d3baf39d18", tag: "d0d1c8a799996bf0265b98b5d48ab919"),
        Vector(name: "case 15", key: key15, iv: "cafebabefacedbaddecaf888", plaintext: plaintext15, aad: "",
               ciphertext: ciphertext15, tag: "b094dac5d93471bdec1a502270e3cc6c"),
        Vector(name: "case 16", key: key15, iv: "cafebabefacedbaddecaf888", plaintext: String(plaintext15.prefix(120)),
               aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
               ciphertext: String(ciphertext15.prefix(120)), tag: "76fc6ece0f4e1768cddf8853bb2d551b"),
    ]

    static func hex(_ s: String) -> [UInt8] { [UInt8](hexString: s)! }

    @Test(arguments: vectors)
    func sealsAndOpensKnownAnswers(_ v: Vector) throws {
        let gcm = try AESGCM(key: SecretBytes(Self.hex(v.key)))
        let sealed = try gcm.seal(Self.hex(v.plaintext), nonce: Self.hex(v.iv), aad: Self.hex(v.aad))
        #expect(sealed.hexString == v.ciphertext + v.tag)
        #expect(try gcm.open(sealed, nonce: Self.hex(v.iv), aad: Self.hex(v.aad)) == Self.hex(v.plaintext))
    }

    @Test func sealAppendingToExistingBytesMatchesOneShotSeal() throws {
        let v = Self.vectors[3]
        let gcm = try AESGCM(key: SecretBytes(Self.hex(v.key)))
        var out: [UInt8] = [1, 2, 3]
        try Self.hex(v.plaintext).withUnsafeBytes { p in
            try Self.hex(v.aad).withUnsafeBytes { a in
                try gcm.seal(p, nonce: Self.hex(v.iv), aad: a, appendingTo: &out)
            }
        }
        #expect(out == [1, 2, 3] + Self.hex(v.ciphertext + v.tag))
    }

    enum Tamper: CaseIterable, Sendable { case ciphertext, tag, aad, nonce }

    @Test(arguments: Tamper.allCases)
    func rejectsTamperedInput(_ what: Tamper) throws {
        let v = Self.vectors[3]
        let gcm = try AESGCM(key: SecretBytes(Self.hex(v.key)))
        var sealed = try gcm.seal(Self.hex(v.plaintext), nonce: Self.hex(v.iv), aad: Self.hex(v.aad))
        var aad = Self.hex(v.aad)
        var nonce = Self.hex(v.iv)
        switch what {
        case .ciphertext: sealed[7] ^= 0x01
        case .tag: sealed[sealed.count - 1] ^= 0x80
        case .aad: aad[0] ^= 0x01
        case .nonce: nonce[11] ^= 0x01
        }
        let error = try #require(throws: CryptoError.self) { try gcm.open(sealed, nonce: nonce, aad: aad) }
        #expect(error.code == .authenticationFailed)
    }

    @Test func rejectsOpeningWithAnotherKey() throws {
        let sealed = try AESGCM(key: .random(32)).seal([1, 2, 3], nonce: AESGCM.nonce(counter: 0), aad: [])
        let error = try #require(throws: CryptoError.self) {
            try AESGCM(key: .random(32)).open(sealed, nonce: AESGCM.nonce(counter: 0), aad: [])
        }
        #expect(error.code == .authenticationFailed)
    }

    @Test func rejectsSealedDataShorterThanATag() throws {
        let gcm = try AESGCM(key: .random(32))
        for length in [0, 1, 15] {
            let error = try #require(throws: CryptoError.self) {
                try gcm.open([UInt8](repeating: 0, count: length), nonce: AESGCM.nonce(counter: 0), aad: [])
            }
            #expect(error.code == .authenticationFailed)
        }
    }

    @Test func rejectsKeysThatAreNot32Bytes() {
        for length in [0, 16, 31, 33] {
            #expect(throws: CryptoError.self) { try AESGCM(key: SecretBytes([UInt8](repeating: 1, count: length))) }
        }
    }

    @Test func rejectsNoncesThatAreNot12Bytes() throws {
        let gcm = try AESGCM(key: .random(32))
        let error = try #require(throws: CryptoError.self) { try gcm.seal([1], nonce: [0, 0, 0], aad: []) }
        #expect(error.code == .invalidInput)
    }

    @Test func counterNonceIsFourZeroBytesThenBigEndianCounter() {
        #expect(AESGCM.nonce(counter: 0) == [UInt8](repeating: 0, count: 12))
        #expect(AESGCM.nonce(counter: 0x0102_0304_0506_0708) == [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func oneContextSealsAndOpensManyMessagesInAnyOrder() throws {
        let gcm = try AESGCM(key: .random(32))
        var sealed: [[UInt8]] = []
        for i in 0..<20 {
            sealed.append(try gcm.seal([UInt8](repeating: UInt8(i), count: i * 100), nonce: AESGCM.nonce(counter: UInt64(i)), aad: [UInt8(i)]))
        }
        for i in (0..<20).reversed() {
            #expect(try gcm.open(sealed[i], nonce: AESGCM.nonce(counter: UInt64(i)), aad: [UInt8(i)]) == [UInt8](repeating: UInt8(i), count: i * 100))
        }
        // A failed open must not poison the context for the next message.
        var bad = sealed[5]
        bad[0] ^= 1
        #expect(throws: CryptoError.self) { try gcm.open(bad, nonce: AESGCM.nonce(counter: 5), aad: [5]) }
        #expect(try gcm.open(sealed[6], nonce: AESGCM.nonce(counter: 6), aad: [6]) == [UInt8](repeating: 6, count: 600))
    }
}
