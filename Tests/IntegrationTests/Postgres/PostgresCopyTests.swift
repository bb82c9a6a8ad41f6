import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

@Suite(.enabled(if: TestPostgres.isConfigured || TestPostgres.isCI, "needs PostgreSQL: run bash scripts/test.sh"))
struct PostgresCopyTests {
    @Test func copyOutStreamsEveryRowAndReturnsTheRowCount() throws {
        let config = try #require(try TestPostgres.requireServer())
        let connection = try PGConnection.connect(config)
        var calls = 0
        var sum: Int64 = 0
        var bytes = 0
        var allEndWithNewline = true
        let rows = try connection.copyOut("COPY (SELECT g, 'row ' || g FROM generate_series(1, 100000) g) TO STDOUT") { chunk in
            calls += 1
            bytes += chunk.count
            allEndWithNewline = allEndWithNewline && chunk.last == UInt8(ascii: "\n")
            var value: Int64 = 0
            for byte in chunk {
                if byte == UInt8(ascii: "\t") { break }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            sum += value
        }
        #expect(rows == 100_000)
        #expect(calls == 100_000)
        #expect(sum == 5_000_050_000)
        #expect(allEndWithNewline)
        let expected = try connection.execute(
            "SELECT sum(length(g::text || E'\\t' || 'row ' || g || E'\\n')) FROM generate_series(1, 100000) g")
        #expect(Int64(bytes) == expected.int(0, 0))
    }

    @Test func copyOutStopsWhenTheBodyThrowsAndKeepsTheConnectionUsable() throws {
        struct Enough: Error {}
        let config = try #require(try TestPostgres.requireServer())
        let connection = try PGConnection.connect(config)
        var seen = 0
        #expect(throws: Enough.self) {
            _ = try connection.copyOut("COPY (SELECT generate_series(1, 100000)) TO STDOUT") { _ in
                seen += 1
                if seen == 10 { throw Enough() }
            }
        }
        #expect(seen == 10)
        #expect(try connection.execute("SELECT 5").int(0, 0) == 5)
    }

    @Test func copyOutOfANonCopyStatementIsAProtocolError() throws {
        let config = try #require(try TestPostgres.requireServer())
        let connection = try PGConnection.connect(config)
        let error = try #require(throws: PGError.self) {
            _ = try connection.copyOut("SELECT 1") { _ in }
        }
        #expect(error.code == .protocolError)
        let missing = try #require(throws: PGError.self) {
            _ = try connection.copyOut("COPY no_such_table TO STDOUT") { _ in }
        }
        #expect(missing.sqlState == "42P01")
        #expect(try connection.execute("SELECT 6").int(0, 0) == 6)
    }

    @Test func copyInStoresRowsThatASelectThenCounts() throws {
        let config = try #require(try TestPostgres.requireServer())
        try TestPostgres.withScratchDatabase(prefix: "copyin") { database in
            let connection = try PGConnection.connect(database)
            try connection.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
            let writer = try connection.copyIn("COPY items (id, name) FROM STDIN")
            var batch: [UInt8] = []
            for id in 1...5000 {
                batch.append(contentsOf: "\(id)\titem \(id) é🐘\n".utf8)
                if batch.count > 60_000 {
                    // Split mid-row on purpose: the stream is bytes, not rows.
                    let cut = batch.count / 2
                    try writer.write(Array(batch[..<cut]))
                    try writer.write(Array(batch[cut...]))
                    batch.removeAll(keepingCapacity: true)
                }
            }
            try writer.write(batch)
            #expect(try writer.finish() == 5000)
            let result = try connection.execute("SELECT count(*), sum(id), max(name) FILTER (WHERE id = 42) FROM items")
            #expect(result.int(0, 0) == 5000)
            #expect(result.int(0, 1) == 12_502_500)
            #expect(result.string(0, 2) == "item 42 é🐘")
            _ = config
        }
    }

    @Test func abortedCopyInLeavesNothingBehind() throws {
        try #require(try TestPostgres.requireServer() != nil)
        try TestPostgres.withScratchDatabase(prefix: "abort") { database in
            let connection = try PGConnection.connect(database)
            try connection.execute("CREATE TABLE items (id int)")
            let writer = try connection.copyIn("COPY items FROM STDIN")
            for id in 1...1000 { try writer.write(Array("\(id)\n".utf8)) }
            try writer.abort("test abort")
            #expect(try connection.execute("SELECT count(*) FROM items").int(0, 0) == 0)
            // A second write after the end is refused, not sent.
            #expect(throws: PGError.self) { try writer.write([0x31, 0x0A]) }
        }
    }

    @Test func badRowInCopyInFailsFinishWithTheServerReason() throws {
        try #require(try TestPostgres.requireServer() != nil)
        try TestPostgres.withScratchDatabase(prefix: "badrow") { database in
            let connection = try PGConnection.connect(database)
            try connection.execute("CREATE TABLE items (id int)")
            let writer = try connection.copyIn("COPY items FROM STDIN")
            try writer.write(Array("1\nnot a number\n".utf8))
            let error = try #require(throws: PGError.self) { try writer.finish() }
            #expect(error.code == .copy)
            #expect(error.sqlState == "22P02")
            #expect(try connection.execute("SELECT count(*) FROM items").int(0, 0) == 0)
        }
    }

    @Test func releasedWriterAbortsItsCopy() throws {
        try #require(try TestPostgres.requireServer() != nil)
        try TestPostgres.withScratchDatabase(prefix: "release") { database in
            let connection = try PGConnection.connect(database)
            try connection.execute("CREATE TABLE items (id int)")
            do {
                let writer = try connection.copyIn("COPY items FROM STDIN")
                try writer.write(Array("1\n2\n".utf8))
            }
            #expect(try connection.execute("SELECT count(*) FROM items").int(0, 0) == 0)
        }
    }
}
