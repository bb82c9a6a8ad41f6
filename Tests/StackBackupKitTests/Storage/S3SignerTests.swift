import Foundation
import Testing
@testable import StackBackupKit

@Suite("AWS Signature V4")
struct S3SignerTests {
    /// The "GET Object" example of the AWS S3 SigV4 documentation.
    @Test func signsTheAWSDocumentationExample() throws {
        let signer = S3Signer(credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                                         secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                              region: "us-east-1")
        let date = Date(timeIntervalSince1970: 1_369_353_600) // 2013-05-24T00:00:00Z
        let headers = signer.sign(method: "GET", encodedPath: "/test.txt", query: [],
                                  headers: ["host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9"],
                                  payloadHash: S3Signer.emptyPayloadHash, date: date)
        #expect(headers["x-amz-date"] == "20130524T000000Z")
        #expect(headers["Authorization"] == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    /// The "GET Bucket (List Objects)" example: query parameters are encoded and sorted.
    @Test func signsAListRequestWithSortedQuery() throws {
        let signer = S3Signer(credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                                         secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                              region: "us-east-1")
        let headers = signer.sign(method: "GET", encodedPath: "/", query: [("prefix", "J"), ("max-keys", "2")],
                                  headers: ["host": "examplebucket.s3.amazonaws.com"],
                                  payloadHash: S3Signer.emptyPayloadHash, date: Date(timeIntervalSince1970: 1_369_353_600))
        #expect(headers["Authorization"]?.hasSuffix("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7") == true)
    }

    @Test func encodesKeysAsSigV4Wants() {
        #expect(S3Signer.uriEncode("a b/c+d~e", keepSlash: true) == "a%20b/c%2Bd~e")
        #expect(S3Signer.uriEncode("a/b", keepSlash: false) == "a%2Fb")
        #expect(S3Signer.uriEncode("é", keepSlash: true) == "%C3%A9")
    }

    @Test func addsTheSessionTokenToSignedHeaders() {
        let signer = S3Signer(credentials: S3Credentials(accessKeyID: "A", secretAccessKey: "S", sessionToken: "TOKEN"), region: "eu-west-1")
        let headers = signer.sign(method: "HEAD", encodedPath: "/b/k", query: [], headers: ["host": "h"], payloadHash: S3Signer.emptyPayloadHash)
        #expect(headers["x-amz-security-token"] == "TOKEN")
        #expect(headers["Authorization"]?.contains("x-amz-security-token") == true)
        #expect(headers["Authorization"]?.contains("/eu-west-1/s3/aws4_request") == true)
    }
}
