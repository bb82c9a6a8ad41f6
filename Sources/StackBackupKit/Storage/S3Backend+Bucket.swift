import Foundation

extension S3Backend {
    /// Creates the bucket (for `init` on a fresh store, and tests). A bucket
    /// that already exists and belongs to these credentials is fine.
    /// The bucket did not exist: create it (`Repository.prepareEmptyLocation`).
    public func createMissingLocation(after missing: BackendError) throws {
        try createBucket()
    }

    public func createBucket() throws {
        var body: ArraySlice<UInt8>? = nil
        if options.region != "us-east-1" {
            let xml = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>\(S3XML.escape(options.region))</LocationConstraint></CreateBucketConfiguration>"
            body = Array(xml.utf8)[...]
        }
        let object = "s3:\(s3.endpoint)/\(s3.bucket)"
        let response = try execute(S3Request(method: "PUT", key: nil, body: body), object: object).response
        if response.status == 200 { return }
        if response.status == 409, S3XML.value("Code", in: response.body[...]) == "BucketAlreadyOwnedByYou" { return }
        throw error(for: response, object: object)
    }
}
