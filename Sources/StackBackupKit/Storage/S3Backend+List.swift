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
            // A page that does not parse is an error: read as empty, it would hide every file.
            let page: S3XML
            do {
                page = try S3XML.parse(response.body[...])
            } catch {
                throw BackendError(.io, path: object, reason: "S3 at \(s3.host) sent a list page that cannot be read: \(error)")
            }
            guard page.name == "ListBucketResult" else {
                throw BackendError(.io, path: object, reason: "S3 at \(s3.host) answered a listing with <\(page.name)>, not <ListBucketResult>")
            }
            for entry in page.children("Contents") {
                guard let key = entry.child("Key")?.text, let size = entry.child("Size").flatMap({ Int($0.text) }) else {
                    throw BackendError(.io, path: object, reason: "S3 at \(s3.host) sent a list entry without key or size")
                }
                out.append(ListedObject(key: key, size: size))
            }
            let truncated = page.child("IsTruncated")?.text == "true"
            let next = page.child("NextContinuationToken")?.text
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
