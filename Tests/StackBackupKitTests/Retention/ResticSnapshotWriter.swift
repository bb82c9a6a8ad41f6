import COpenSSL
import Foundation
@testable import StackBackupKit

/// Writes snapshot files straight into a restic repository, so restic's
/// `forget` can judge a timeline of thousands of snapshots: each `restic
/// backup` derives the key with scrypt (about half a second of CPU), this
/// costs microseconds. The format is restic's design document's: the JSON
/// encrypted with AES-256-CTR under the master key, `nonce ‖ ciphertext ‖
/// Poly1305-AES(ciphertext)`, the file named by the SHA-256 of its bytes.
/// Repository v2 reads a file starting with "{" as uncompressed JSON.
struct ResticSnapshotWriter {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private struct MasterKey: Decodable {
        struct MAC: Decodable { let k: String, r: String }
        let mac: MAC
        let encrypt: String
    }

    let repository: String
    /// Times are recorded with their offset in this zone, as restic records local times.
    private let timeFormatter = ISO8601DateFormatter()
    private let encryptionKey: [UInt8]
    private let macK: [UInt8]
    private let macR: [UInt8]
    /// A snapshot restic wrote itself (tree, paths, user), copied for each new one.
    private let template: [String: Any]

    /// `masterKey` is `restic cat masterkey`, `template` is `restic cat snapshot ID`.
    init(repository: String, masterKey: Data, template: Data, zone: TimeZone) throws {
        let key = try JSONDecoder().decode(MasterKey.self, from: masterKey)
        guard let encrypt = Data(base64Encoded: key.encrypt), encrypt.count == 32,
              let k = Data(base64Encoded: key.mac.k), k.count == 16,
              let r = Data(base64Encoded: key.mac.r), r.count == 16,
              let snapshot = try JSONSerialization.jsonObject(with: template) as? [String: Any] else {
            throw Failure(description: "restic's master key or template snapshot is not as expected")
        }
        self.repository = repository
        encryptionKey = [UInt8](encrypt)
        macK = [UInt8](k)
        macR = [UInt8](r)
        self.template = snapshot
        timeFormatter.timeZone = zone
    }

    /// Writes a snapshot of `host` at `time`. Returns its id.
    func write(time: Date, host: String, tags: [String]) throws -> String {
        var snapshot = template
        snapshot["time"] = timeFormatter.string(from: time)
        snapshot["hostname"] = host
        snapshot["tags"] = tags.isEmpty ? nil : tags
        let plaintext = [UInt8](try JSONSerialization.data(withJSONObject: snapshot, options: [.sortedKeys]))
        let nonce = SecureRandom.bytes(16)
        let ciphertext = try Self.encrypt(EVP_aes_256_ctr(), key: encryptionKey, iv: nonce, plaintext)
        let mask = try Self.encrypt(EVP_aes_128_ecb(), key: macK, iv: nil, nonce)
        let file = nonce + ciphertext + (try Self.poly1305(key: macR + mask, ciphertext))
        let id = SHA256.hash(file).hex
        // Plain creat/write: Data.write costs a millisecond a file here, too much for thousands.
        let path = "\(repository)/snapshots/\(id)"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        guard Foundation.write(fd, file, file.count) == file.count else { throw Failure(description: "cannot write \(path): errno \(errno)") }
        return id
    }

    private static func encrypt(_ cipher: OpaquePointer?, key: [UInt8], iv: [UInt8]?, _ input: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_CIPHER_CTX_new() else { throw Failure(description: "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(context) }
        if let iv {
            try OpenSSLError.check(EVP_EncryptInit_ex(context, cipher, nil, key, iv), "EVP_EncryptInit_ex")
        } else {
            try OpenSSLError.check(EVP_EncryptInit_ex(context, cipher, nil, key, nil), "EVP_EncryptInit_ex")
        }
        try OpenSSLError.check(EVP_CIPHER_CTX_set_padding(context, 0), "EVP_CIPHER_CTX_set_padding")
        var output = [UInt8](repeating: 0, count: input.count + 16)
        var written: Int32 = 0
        var tail: Int32 = 0
        try OpenSSLError.check(EVP_EncryptUpdate(context, &output, &written, input, Int32(input.count)), "EVP_EncryptUpdate")
        try output.withUnsafeMutableBufferPointer { buffer in
            try OpenSSLError.check(EVP_EncryptFinal_ex(context, buffer.baseAddress! + Int(written), &tail), "EVP_EncryptFinal_ex")
        }
        return Array(output.prefix(Int(written + tail)))
    }

    /// Poly1305 with the one-time key `r ‖ AES-128_k(nonce)`; libcrypto clamps r as restic does.
    private static func poly1305(key: [UInt8], _ message: [UInt8]) throws -> [UInt8] {
        var tag = [UInt8](repeating: 0, count: 16)
        var length = 0
        guard EVP_Q_mac(nil, "POLY1305", nil, nil, nil, key, key.count, message, message.count, &tag, tag.count, &length) != nil,
              length == 16 else {
            throw Failure(description: "EVP_Q_mac(POLY1305) failed")
        }
        return tag
    }
}
