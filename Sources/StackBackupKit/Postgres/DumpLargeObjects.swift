import Foundation

/// Reads every large object in the coordinator's snapshot with
/// `lo_get(oid, offset, length)` in 1 MiB ranges (no superuser needed, unlike
/// reading `pg_largeobject`) and chunks each one as its own stream.
struct DumpLargeObjects {
    let connection: PGConnection
    let store: BlobSaver
    let options: DumpOptions
    static let rangeSize = 1 << 20

    struct Result {
        var entries: [LargeObjectEntry] = []
        var bytes: Int64 = 0
        var bytesAdded: Int64 = 0
        var blobsAdded = 0
    }

    func dump() throws -> Result {
        let list = try connection.execute("SELECT m.oid, pg_get_userbyid(m.lomowner) FROM pg_largeobject_metadata m ORDER BY m.oid")
        var result = Result()
        for row in 0..<list.rowCount {
            guard let rawOID = list.int(row, 0), let oid = UInt32(exactly: rawOID) else { continue }
            let writer = DumpStreamWriter(store: store, parameters: options.chunker, gear: options.gear, rowAligned: false)
            var offset: Int64 = 0
            while true {
                let range = try connection.query("SELECT lo_get($1::oid, $2::bigint, $3::int)",
                                                 [String(oid), String(offset), String(DumpLargeObjects.rangeSize)])
                let got = try range.withValue(0, 0) { raw -> Int in
                    guard let bytes = DumpLargeObjects.decodeHexBytea(raw) else {
                        throw PGError(.protocolError, message: "lo_get returned a value that is not hex bytea", context: "reading large object \(oid)")
                    }
                    try writer.append(bytes)
                    return bytes.count
                } ?? 0
                offset += Int64(got)
                if got < DumpLargeObjects.rangeSize { break }
            }
            _ = try writer.finish()
            result.entries.append(LargeObjectEntry(oid: oid, owner: list.string(row, 1) ?? "", bytes: writer.bytes, chunks: writer.chunks))
            result.bytes += writer.bytes
            result.bytesAdded += writer.bytesAdded
            result.blobsAdded += writer.blobsAdded
        }
        return result
    }

    /// `\x0aff…` (bytea_output = hex) → bytes; nil for anything else.
    static func decodeHexBytea(_ raw: UnsafeRawBufferPointer) -> [UInt8]? {
        guard raw.count >= 2, raw[0] == UInt8(ascii: "\\"), raw[1] == UInt8(ascii: "x"), raw.count % 2 == 0 else { return nil }
        var out = [UInt8](repeating: 0, count: (raw.count - 2) / 2)
        var i = 2, o = 0
        while i < raw.count {
            guard let high = nibble(raw[i]), let low = nibble(raw[i + 1]) else { return nil }
            out[o] = high << 4 | low
            i += 2
            o += 1
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
