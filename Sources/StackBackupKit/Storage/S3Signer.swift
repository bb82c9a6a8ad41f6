import Foundation

/// AWS Signature Version 4 for S3 requests (header authentication).
///
/// Immutable apart from a small lock-protected cache of the per-day signing
/// key; safe to share between threads. The payload hash is always the real
/// SHA-256 of the body (never `UNSIGNED-PAYLOAD`), so a server that checks it
/// (AWS, MinIO, Ceph, Garage) refuses a body damaged in transit.
final class S3Signer: @unchecked Sendable {
    let credentials: S3Credentials
    let region: String
    let service: String

    private let lock = NSLock()
    private var cachedDay = ""
    private var cachedKey: SecretBytes?

    init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The hex SHA-256 of an empty body.
    static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Returns the headers to add (authorization, x-amz-date, x-amz-content-sha256,
    /// and the session token when there is one). `headers` must hold every other
    /// header that is sent and should be signed, including `host`.
    func sign(method: String, encodedPath: String, query: [(String, String)], headers: [String: String],
              payloadHash: String, date: Date = Date()) -> [String: String] {
        let (amzDate, day) = Self.timestamps(date)
        var all: [String: String] = [:]
        for (name, value) in headers { all[name.lowercased()] = value.trimmingCharacters(in: .whitespaces) }
        all["x-amz-date"] = amzDate
        all["x-amz-content-sha256"] = payloadHash
        if let token = credentials.sessionToken { all["x-amz-security-token"] = token }

        let names = all.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(all[$0]!)\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        var encodedQuery: [(String, String)] = []
        for (name, value) in query {
            encodedQuery.append((Self.uriEncode(name, keepSlash: false), Self.uriEncode(value, keepSlash: false)))
        }
        encodedQuery.sort { (a: (String, String), b: (String, String)) -> Bool in
            a.0 == b.0 ? a.1 < b.1 : a.0 < b.0
        }
        let canonicalQuery = encodedQuery.map { (pair: (String, String)) -> String in pair.0 + "=" + pair.1 }
            .joined(separator: "&")
        let canonicalRequest = [method, encodedPath, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n" + SHA256.hash(Array(canonicalRequest.utf8)).hex
        let signature = HMACSHA256(key: signingKey(day: day)).authenticate(Array(stringToSign.utf8)).hex

        var out: [String: String] = [
            "x-amz-date": amzDate,
            "x-amz-content-sha256": payloadHash,
            "Authorization": "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
                + "SignedHeaders=\(signedHeaders), Signature=\(signature)",
        ]
        if let token = credentials.sessionToken { out["x-amz-security-token"] = token }
        return out
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request"),
    /// computed once a day.
    private func signingKey(day: String) -> SecretBytes {
        lock.lock()
        defer { lock.unlock() }
        if day == cachedDay, let key = cachedKey { return key }
        var key = credentials.secretAccessKey.withUnsafeBytes { SecretBytes(Array("AWS4".utf8) + [UInt8]($0)) }
        for part in [day, region, service, "aws4_request"] {
            key = SecretBytes(HMACSHA256(key: key).authenticate(Array(part.utf8)).bytes)
        }
        cachedDay = day
        cachedKey = key
        return key
    }

    /// `20240102T030405Z` and `20240102` in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&t, &parts)
        let day = String(format: "%04d%02d%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
        let time = String(format: "%02d%02d%02d", Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        return ("\(day)T\(time)Z", day)
    }

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters stay, every
    /// other byte becomes `%XX` (upper case); `/` stays in paths.
    static func uriEncode(_ s: String, keepSlash: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity(s.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
