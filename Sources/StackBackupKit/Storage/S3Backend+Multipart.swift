import Foundation

extension S3Backend {
    /// Uploads `bytes` in parts of `options.partSize`; the object appears only
    /// when the upload completes. On any failure the upload is aborted so no
    /// parts linger (and bill), and the error is rethrown.
    func saveMultipart(_ handle: Handle, _ bytes: [UInt8]) throws {
        let object = path(handle)
        let key = key(handle)
        let created = try execute(S3Request(method: "POST", key: key, query: [("uploads", "")]), object: object).response
        guard created.status == 200 else { throw error(for: created, object: object) }
        guard let uploadID = S3XML.value("UploadId", in: created.body[...]), !uploadID.isEmpty else {
            throw BackendError(.io, path: object, reason: "S3 at \(s3.host) started a multipart upload without an upload id")
        }
        do {
            let partSize = max(5 << 20, options.partSize)
            var etags: [String] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + partSize)
                let number = etags.count + 1
                var request = S3Request(method: "PUT", key: key,
                                        query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                        body: bytes[offset..<end])
                request.headers["content-type"] = "application/octet-stream"
                let response = try execute(request, object: object).response
                guard response.status == 200 else { throw error(for: response, object: object) }
                guard let etag = response.header("etag"), !etag.isEmpty else {
                    throw BackendError(.io, path: object, reason: "S3 at \(s3.host) sent no ETag for part \(number)")
                }
                etags.append(etag)
                offset = end
            }
            try completeMultipart(handle, key: key, uploadID: uploadID, etags: etags, size: bytes.count)
        } catch {
            abortMultipart(key: key, uploadID: uploadID, object: object)
            throw error
        }
    }

    private func completeMultipart(_ handle: Handle, key: String, uploadID: String, etags: [String], size: Int) throws {
        let object = path(handle)
        var xml = "<CompleteMultipartUpload>"
        for (i, etag) in etags.enumerated() {
            xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(S3XML.escape(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        var request = S3Request(method: "POST", key: key, query: [("uploadId", uploadID)], body: Array(xml.utf8)[...])
        request.headers["content-type"] = "application/xml"
        let conditional = conditionalWrites
        if conditional { request.headers["if-none-match"] = "*" }
        let (response, attempts) = try execute(request, object: object)
        switch response.status {
        case 200:
            // S3 may answer 200 and then report a failure in the body.
            if let body = try? S3XML.parse(response.body[...]), body.first("Error") != nil, body.first("Code") != nil {
                throw error(for: S3HTTPResponse(status: 500, headers: [:], body: response.body), object: object)
            }
        case 404 where attempts > 1:
            // The upload id is gone: an earlier attempt completed it.
            guard try head(handle) == size else { throw error(for: response, object: object) }
        case 412:
            if attempts > 1, try head(handle) == size { return }
            throw BackendError(.alreadyExists, path: object, reason: "exists")
        default:
            throw error(for: response, object: object)
        }
    }

    private func abortMultipart(key: String, uploadID: String, object: String) {
        _ = try? execute(S3Request(method: "DELETE", key: key, query: [("uploadId", uploadID)]), object: object)
    }
}
