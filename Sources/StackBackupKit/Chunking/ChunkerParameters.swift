/// Chunk size bounds for FastCDC, stored in the repository config.
public struct ChunkerParameters: Codable, Sendable, Equatable {
    /// No cut before this many bytes.
    public var minSize: Int
    /// The target average; a power of two. Below it the cut mask is stricter, above it looser.
    public var averageSize: Int
    /// A chunk is cut here at the latest.
    public var maxSize: Int

    /// Validates `64 <= min < avg < max <= 1 GiB`, `avg` a power of two of at least 256.
    public init(minSize: Int, averageSize: Int, maxSize: Int) throws {
        guard minSize >= 64, minSize < averageSize, averageSize < maxSize, maxSize <= 1 << 30 else {
            throw ChunkingError("chunker sizes min \(minSize), avg \(averageSize), max \(maxSize) are invalid: they must satisfy 64 <= min < avg < max <= 1 GiB")
        }
        guard averageSize >= 256, averageSize & (averageSize - 1) == 0 else {
            throw ChunkingError("chunker average size \(averageSize) is invalid: it must be a power of two of at least 256")
        }
        self.init(unchecked: minSize, averageSize, maxSize)
    }

    private init(unchecked minSize: Int, _ averageSize: Int, _ maxSize: Int) {
        self.minSize = minSize
        self.averageSize = averageSize
        self.maxSize = maxSize
    }

    /// Files and volumes: 512 KiB / 1 MiB / 8 MiB.
    public static let volumes = ChunkerParameters(unchecked: 512 << 10, 1 << 20, 8 << 20)
    /// Database COPY streams: 64 KiB / 256 KiB / 1 MiB.
    public static let database = ChunkerParameters(unchecked: 64 << 10, 256 << 10, 1 << 20)

    private enum CodingKeys: String, CodingKey {
        case minSize = "min_size"
        case averageSize = "avg_size"
        case maxSize = "max_size"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(minSize: try container.decode(Int.self, forKey: .minSize),
                      averageSize: try container.decode(Int.self, forKey: .averageSize),
                      maxSize: try container.decode(Int.self, forKey: .maxSize))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(minSize, forKey: .minSize)
        try container.encode(averageSize, forKey: .averageSize)
        try container.encode(maxSize, forKey: .maxSize)
    }
}

/// Invalid chunker parameters or seed.
public struct ChunkingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
