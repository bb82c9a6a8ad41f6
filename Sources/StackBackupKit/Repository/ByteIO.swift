// Little-endian integer encoding for the binary parts of the format (pack
// headers, sealed documents) and a bounds-checked reader that turns every
// out-of-range access into an `IntegrityError` instead of a crash.

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendLE(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 24))
    }
}

/// Reads fields from untrusted bytes; every read is bounds-checked.
struct ByteReader {
    let bytes: [UInt8]
    let object: String
    private(set) var position = 0

    init(_ bytes: [UInt8], object: String) {
        self.bytes = bytes
        self.object = object
    }

    var remaining: Int { bytes.count - position }

    mutating func u8() throws -> UInt8 {
        guard remaining >= 1 else { throw truncated(1) }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u32() throws -> UInt32 {
        guard remaining >= 4 else { throw truncated(4) }
        defer { position += 4 }
        return UInt32(littleEndian: bytes, at: position)
    }

    mutating func take(_ count: Int) throws -> [UInt8] {
        guard count >= 0, remaining >= count else { throw truncated(count) }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    private func truncated(_ wanted: Int) -> IntegrityError {
        IntegrityError(object: object, problem: "is truncated (wanted \(wanted) bytes at offset \(position) of \(bytes.count))")
    }
}

extension UInt32 {
    /// Decodes four little-endian bytes at `offset`; the caller has checked the bounds.
    init(littleEndian bytes: [UInt8], at offset: Int) {
        self = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
            | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
