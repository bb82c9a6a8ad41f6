import Foundation

/// The type of a tree entry.
public enum NodeType: String, Codable, Sendable {
    case file, directory = "dir", symlink, fifo, socket, charDevice = "chardev", blockDevice = "blockdev"
}

/// One entry of a directory listing. Names and link targets are bytes:
/// Linux file names need not be UTF-8.
public struct Node: Codable, Sendable, Equatable {
    public var name: [UInt8]
    public var type: NodeType
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var user: String?
    public var group: String?
    /// Nanoseconds since the epoch.
    public var mtimeNs: Int64
    public var ctimeNs: Int64
    public var inode: UInt64
    public var device: UInt64
    public var links: UInt64
    public var size: Int64
    /// Content chunks of a regular file, in order.
    public var content: [ObjectID]?
    /// The tree blob of a directory.
    public var subtree: ObjectID?
    public var linkTarget: [UInt8]?
    /// Device number of a character or block device.
    public var rdev: UInt64?

    public init(name: [UInt8], type: NodeType, mode: UInt32 = 0, uid: UInt32 = 0, gid: UInt32 = 0,
                mtimeNs: Int64 = 0, ctimeNs: Int64 = 0, inode: UInt64 = 0, device: UInt64 = 0,
                links: UInt64 = 1, size: Int64 = 0) {
        self.name = name
        self.type = type
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.mtimeNs = mtimeNs
        self.ctimeNs = ctimeNs
        self.inode = inode
        self.device = device
        self.links = links
        self.size = size
    }

    /// The name for display: UTF-8 when valid, else with invalid bytes as `\xNN`.
    public var displayName: String { ByteString.display(name) }

    enum CodingKeys: String, CodingKey {
        case name, nameB64 = "name_b64", type, mode, uid, gid, user, group
        case mtimeNs = "mtime_ns", ctimeNs = "ctime_ns", inode, device, links, size, content, subtree
        case linkTarget = "link", linkTargetB64 = "link_b64", rdev
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try ByteString.decode(c, text: .name, base64: .nameB64) ?? []
        // A name comes from a repository we may not trust: "../x" in a tree must never reach a path.
        if let problem = Node.nameProblem(name) {
            throw DecodingError.dataCorruptedError(forKey: .name, in: c, debugDescription: "node name \"\(ByteString.display(name))\" \(problem)")
        }
        type = try c.decode(NodeType.self, forKey: .type)
        mode = try c.decode(UInt32.self, forKey: .mode)
        uid = try c.decode(UInt32.self, forKey: .uid)
        gid = try c.decode(UInt32.self, forKey: .gid)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        group = try c.decodeIfPresent(String.self, forKey: .group)
        mtimeNs = try c.decode(Int64.self, forKey: .mtimeNs)
        ctimeNs = try c.decode(Int64.self, forKey: .ctimeNs)
        inode = try c.decode(UInt64.self, forKey: .inode)
        device = try c.decode(UInt64.self, forKey: .device)
        links = try c.decode(UInt64.self, forKey: .links)
        size = try c.decode(Int64.self, forKey: .size)
        content = try c.decodeIfPresent([ObjectID].self, forKey: .content)
        subtree = try c.decodeIfPresent(ObjectID.self, forKey: .subtree)
        linkTarget = try ByteString.decode(c, text: .linkTarget, base64: .linkTargetB64)
        rdev = try c.decodeIfPresent(UInt64.self, forKey: .rdev)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try ByteString.encode(name, into: &c, text: .name, base64: .nameB64)
        try c.encode(type, forKey: .type)
        try c.encode(mode, forKey: .mode)
        try c.encode(uid, forKey: .uid)
        try c.encode(gid, forKey: .gid)
        try c.encodeIfPresent(user, forKey: .user)
        try c.encodeIfPresent(group, forKey: .group)
        try c.encode(mtimeNs, forKey: .mtimeNs)
        try c.encode(ctimeNs, forKey: .ctimeNs)
        try c.encode(inode, forKey: .inode)
        try c.encode(device, forKey: .device)
        try c.encode(links, forKey: .links)
        try c.encode(size, forKey: .size)
        try c.encodeIfPresent(content, forKey: .content)
        try c.encodeIfPresent(subtree, forKey: .subtree)
        if let linkTarget { try ByteString.encode(linkTarget, into: &c, text: .linkTarget, base64: .linkTargetB64) }
        try c.encodeIfPresent(rdev, forKey: .rdev)
    }
}

/// A directory listing: one blob per folder, entries sorted by name bytes so
/// that the same folder always encodes to the same blob.
extension Node {
    /// Why `name` cannot be a node's name, or nil when it can: a name is one
    /// path component, never empty, `.` or `..`, and holds no `/` or NUL.
    public static func nameProblem(_ name: [UInt8]) -> String? {
        if name.isEmpty { return "is empty" }
        if name == [0x2E] || name == [0x2E, 0x2E] { return "is not a file name" }
        if name.contains(0x2F) { return "contains '/'" }
        if name.contains(0) { return "contains a NUL byte" }
        return nil
    }
}

public struct Tree: Codable, Sendable, Equatable {
    public var nodes: [Node]
    /// The backed-up folder's own metadata, on a snapshot's root tree only
    /// (a sub-folder's is in its node). Absent in trees written before it was recorded.
    public var root: FolderMetadata?

    public init(nodes: [Node], root: FolderMetadata? = nil) {
        self.nodes = nodes.sorted { $0.name.lexicographicallyPrecedes($1.name) }
        self.root = root
    }

    public func node(named name: [UInt8]) -> Node? {
        // Sorted by name bytes: binary search.
        var low = 0, high = nodes.count
        while low < high {
            let mid = (low + high) / 2
            if nodes[mid].name == name { return nodes[mid] }
            if nodes[mid].name.lexicographicallyPrecedes(name) { low = mid + 1 } else { high = mid }
        }
        return nil
    }
}

/// Mode (permission bits), owner and mtime of a snapshot's root folder, which
/// has no node of its own: a restore gives them to its target folder.
public struct FolderMetadata: Codable, Sendable, Equatable {
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var user: String?
    public var group: String?
    /// Nanoseconds since the epoch.
    public var mtimeNs: Int64

    public init(mode: UInt32, uid: UInt32, gid: UInt32, user: String? = nil, group: String? = nil, mtimeNs: Int64) {
        (self.mode, self.uid, self.gid, self.user, self.group, self.mtimeNs) = (mode, uid, gid, user, group, mtimeNs)
    }

    enum CodingKeys: String, CodingKey {
        case mode, uid, gid, user, group, mtimeNs = "mtime_ns"
    }
}

/// Byte strings in JSON: as a string when valid UTF-8, else as base64 under a second key.
enum ByteString {
    static func display(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var out = ""
        var i = 0
        while i < bytes.count {
            // Decode the longest valid UTF-8 prefix, escape one byte otherwise.
            var matched = false
            for length in stride(from: min(4, bytes.count - i), through: 1, by: -1) {
                if let s = String(validating: bytes[i..<i + length], as: UTF8.self) {
                    out += s
                    i += length
                    matched = true
                    break
                }
            }
            if !matched {
                out += "\\x" + String(bytes[i], radix: 16, uppercase: true).leftPadded(to: 2)
                i += 1
            }
        }
        return out
    }

    static func decode<K: CodingKey>(_ c: KeyedDecodingContainer<K>, text: K, base64: K) throws -> [UInt8]? {
        if let s = try c.decodeIfPresent(String.self, forKey: text) { return Array(s.utf8) }
        if let b = try c.decodeIfPresent(String.self, forKey: base64) {
            guard let data = Data(base64Encoded: b) else {
                throw DecodingError.dataCorruptedError(forKey: base64, in: c, debugDescription: "invalid base64")
            }
            return [UInt8](data)
        }
        return nil
    }

    static func encode<K: CodingKey>(_ bytes: [UInt8], into c: inout KeyedEncodingContainer<K>, text: K, base64: K) throws {
        if let s = String(validating: bytes, as: UTF8.self) {
            try c.encode(s, forKey: text)
        } else {
            try c.encode(Data(bytes).base64EncodedString(), forKey: base64)
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
