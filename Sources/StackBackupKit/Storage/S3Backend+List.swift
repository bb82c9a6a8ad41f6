import Foundation

extension S3Backend {
    struct ListedObject {
        let key: String
        let size: Int
    }

    /// Every object under `prefix`, page by page (ListObjectsV2 with continuation tokens).
    func listObjects(prefix: String) throws -> [ListedObject] {
        var out: [ListedObject] = []
        var token: String? = nil
        let object = s3.description + "/" + (prefix.hasPrefix(s3.prefix) ? String(prefix.dropFirst(s3.prefix.count)).trimmingPrefixSlash : prefix)
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(max(1, min(options.listPageSize, 1000))))]
            if let token { query.append(("continuation-token", token)) }
            let response = try execute(S3Request(method: "GET", key: nil, query: query), object: object).response
            guard response.status == 200 else { throw error(for: response, object: object) }
            for entry in S3XML.elements("Contents", in: response.body[...]) {
                guard let key = S3XML.value("Key", in: entry), let size = S3XML.value("Size", in: entry).flatMap(Int.init) else {
                    throw BackendError(.io, path: object, reason: "S3 at \(s3.host) sent a list entry without key or size")
                }
                out.append(ListedObject(key: key, size: size))
            }
            let truncated = S3XML.value("IsTruncated", in: response.body[...]) == "true"
            let next = S3XML.value("NextContinuationToken", in: response.body[...])
            if truncated {
                guard let next, !next.isEmpty, next != token else {
                    throw BackendError(.io, path: object, reason: "S3 at \(s3.host) sent a truncated list without a continuation token")
                }
                token = next
            } else {
                token = nil
            }
        } while token != nil
        return out
    }
}

private extension String {
    var trimmingPrefixSlash: String { hasPrefix("/") ? String(dropFirst()) : self }
}
