// TEMPORARY stand-in for the `crypto` branch API (Chunking/, Crypto/), so the
// Volumes code compiles before that branch lands. Deleted on `git merge crypto`.
// Not cryptographic. Do not merge this file into main.

public struct ChunkerParameters: Sendable, Equatable {
    public var minSize: Int
    public var averageSize: Int
    public var maxSize: Int
    public init(minSize: Int, averageSize: Int, maxSize: Int) {
        (self.minSize, self.averageSize, self.maxSize) = (minSize, averageSize, maxSize)
    }
    public static let volumes = ChunkerParameters(minSize: 512 << 10, averageSize: 1 << 20, maxSize: 8 << 20)
}

public struct SecretBytes: Sendable {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
}

public struct GearTable: Sendable {
    public let values: [UInt64]
    public init(seed: SecretBytes) throws {
        var state: UInt64 = 0x1234_5678
        for b in seed.bytes { state = (state ^ UInt64(b)) &* 0x100_0000_01B3 }
        var v = [UInt64]()
        for _ in 0..<256 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            v.append(z ^ (z >> 31))
        }
        values = v
    }
}

public struct FastCDC: Sendable {
    let parameters: ChunkerParameters
    let gear: [UInt64]
    var hash: UInt64 = 0
    var length = 0
    let maskS: UInt64 = (1 << 22) - 1
    let maskL: UInt64 = (1 << 18) - 1

    public init(parameters: ChunkerParameters, gear: GearTable) {
        self.parameters = parameters
        self.gear = gear.values
    }

    public mutating func reset() { hash = 0; length = 0 }

    public mutating func findCut(in buffer: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        let n = buffer.count
        var h = hash, len = length
        let minS = parameters.minSize, avg = parameters.averageSize, maxS = parameters.maxSize
        return gear.withUnsafeBufferPointer { g in
            if len < minS {
                let skip = min(minS - len, n)
                i += skip; len += skip
            }
            while i < n {
                h = (h << 1) &+ g[Int(buffer[i])]
                i += 1; len += 1
                let mask = len < avg ? maskS : maskL
                if h & mask == 0 || len >= maxS {
                    hash = 0; length = 0
                    return i
                }
            }
            hash = h; length = len
            return nil
        }
    }
}

public enum SHA256 {
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> ObjectID {
        var lanes: (UInt64, UInt64, UInt64, UInt64) = (0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1)
        let n = buffer.count
        var i = 0
        while i + 8 <= n {
            let w = buffer.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            lanes.0 = (lanes.0 ^ w) &* 0x100_0000_01B3
            lanes.1 = (lanes.1 &+ w) &* 0x9E37_79B9_7F4A_7C15 ^ (lanes.1 >> 29)
            lanes.2 = (lanes.2 ^ (w >> 7)) &* 0xBF58_476D_1CE4_E5B9
            lanes.3 = (lanes.3 &+ (w << 3)) &* 0x94D0_49BB_1331_11EB ^ (lanes.3 >> 31)
            i += 8
        }
        while i < n { lanes.0 = (lanes.0 ^ UInt64(buffer[i])) &* 0x100_0000_01B3; lanes.1 &+= UInt64(buffer[i]); i += 1 }
        lanes.2 ^= UInt64(n)
        var out = [UInt8]()
        for w in [lanes.0, lanes.1 ^ lanes.0, lanes.2, lanes.3 ^ lanes.2] {
            for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: w >> UInt64(s))) }
        }
        return ObjectID(bytes: out)!
    }

    public static func hash(_ bytes: [UInt8]) -> ObjectID { bytes.withUnsafeBytes { hash($0) } }
}
