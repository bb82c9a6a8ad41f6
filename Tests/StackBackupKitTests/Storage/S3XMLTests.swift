import Testing
@testable import StackBackupKit

@Suite("Reading S3's XML answers")
struct S3XMLTests {
    let page = Array("""
        <?xml version="1.0" encoding="UTF-8"?>
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix>
        <KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
        <Contents><Key>p/index/a&amp;b</Key><LastModified>x</LastModified><Size>12</Size></Contents>
        <Contents><Key>p/index/c</Key><Size>0</Size><KeyMarker/></Contents>
        <NextContinuationToken>tok&lt;1&gt;</NextContinuationToken></ListBucketResult>
        """.utf8)

    @Test func readsKeysSizesAndTheContinuationToken() {
        let contents = S3XML.elements("Contents", in: page[...])
        #expect(contents.count == 2)
        #expect(contents.map { S3XML.value("Key", in: $0) } == ["p/index/a&b", "p/index/c"])
        #expect(contents.map { S3XML.value("Size", in: $0) } == ["12", "0"])
        #expect(S3XML.value("IsTruncated", in: page[...]) == "true")
        #expect(S3XML.value("NextContinuationToken", in: page[...]) == "tok<1>")
        #expect(S3XML.value("KeyMarker", in: page[...]) == "")
    }

    @Test func survivesGarbage() {
        for garbage in ["<Key>unterminated", "<<<>>>", "<Key", "&#xFFFFFFFF;", "</Key><Key>", ""] {
            _ = S3XML.values("Key", in: Array(garbage.utf8)[...])
        }
        #expect(S3XML.decode(Array("a &#65;&#x42; &bogus; &".utf8)[...]) == "a AB &bogus; &")
    }

    @Test func readsAnErrorCode() {
        let body = Array("<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist.</Message></Error>".utf8)
        #expect(S3XML.value("Code", in: body[...]) == "InvalidAccessKeyId")
    }
}
