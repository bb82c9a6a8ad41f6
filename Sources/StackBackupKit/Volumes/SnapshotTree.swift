/// One entry of a snapshot listing.
public struct ListedEntry: Sendable {
    /// Path relative to the snapshot root, `/`-separated, as bytes.
    public let path: [UInt8]
    public var displayPath: String { ByteString.display(path) }
    public let node: Node
}

/// One difference between two snapshot trees.
public struct TreeChange: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case added, removed, modified, typeChanged = "type_changed"
    }

    public let kind: Kind
    public let path: [UInt8]
    public var displayPath: String { ByteString.display(path) }
    public let old: Node?
    public let new: Node?
}

/// Reading snapshot trees: `ls` and `diff`.
public enum SnapshotTree {
    /// Every entry under `path` (relative to the root; nil or empty for the
    /// root), recursively, in name order, parents before children. A `path`
    /// naming a file lists that file. Throws `.pathNotFound` when absent.
    public static func list(store: BlobLoader, tree: ObjectID, path: String?) throws -> [ListedEntry] {
        let parts = Array((path ?? "").utf8).split(separator: 0x2F).map(Array.init)
        var out: [ListedEntry] = []
        guard !parts.isEmpty else {
            try DeepStack.run { try collect(store: store, tree: tree, prefix: [], into: &out) }
            return out
        }
        var current = try store.loadTree(tree)
        var prefix: [UInt8] = []
        for (i, part) in parts.enumerated() {
            guard let node = current.node(named: part) else {
                throw VolumeError(.pathNotFound, "\(path ?? "") is not in the snapshot; list the snapshot's root to see what it holds")
            }
            prefix = FileSystem.join(prefix, part)
            if i == parts.count - 1 {
                out.append(ListedEntry(path: prefix, node: node))
                if node.type == .directory, let subtree = node.subtree {
                    try DeepStack.run { try collect(store: store, tree: subtree, prefix: prefix, into: &out) }
                }
            } else {
                guard node.type == .directory, let subtree = node.subtree else {
                    throw VolumeError(.pathNotFound, "\(ByteString.display(prefix)) is not a folder in the snapshot")
                }
                current = try store.loadTree(subtree)
            }
        }
        return out
    }

    private static func collect(store: BlobLoader, tree: ObjectID, prefix: [UInt8], into out: inout [ListedEntry]) throws {
        for node in try store.loadTree(tree).nodes {
            let path = FileSystem.join(prefix, node.name)
            out.append(ListedEntry(path: path, node: node))
            if node.type == .directory, let subtree = node.subtree {
                try collect(store: store, tree: subtree, prefix: path, into: &out)
            }
        }
    }

    /// The changes from `old` to `new`, in path order. Subtrees with equal ids
    /// are skipped without loading; entries inside an added or removed folder
    /// are listed one by one. Metadata-only changes (mtime, ctime, inode) are
    /// not changes; content, size, link target, mode and owner are.
    public static func diff(store: BlobLoader, old: ObjectID, new: ObjectID) throws -> [TreeChange] {
        var out: [TreeChange] = []
        try DeepStack.run { try compare(store: store, old: old, new: new, prefix: [], into: &out) }
        return out
    }

    private static func compare(store: BlobLoader, old: ObjectID, new: ObjectID, prefix: [UInt8],
                                into out: inout [TreeChange]) throws {
        guard old != new else { return }
        let a = try store.loadTree(old).nodes, b = try store.loadTree(new).nodes
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i].name.lexicographicallyPrecedes(b[j].name)) {
                try addAll(.removed, node: a[i], prefix: prefix, store: store, into: &out)
                i += 1
            } else if i == a.count || b[j].name.lexicographicallyPrecedes(a[i].name) {
                try addAll(.added, node: b[j], prefix: prefix, store: store, into: &out)
                j += 1
            } else {
                let x = a[i], y = b[j]
                let path = FileSystem.join(prefix, x.name)
                if x.type != y.type {
                    out.append(TreeChange(kind: .typeChanged, path: path, old: x, new: y))
                } else {
                    let metadata = x.mode != y.mode || x.uid != y.uid || x.gid != y.gid
                    if x.type == .directory {
                        if metadata { out.append(TreeChange(kind: .modified, path: path, old: x, new: y)) }
                        if let s = x.subtree, let t = y.subtree {
                            try compare(store: store, old: s, new: t, prefix: path, into: &out)
                        }
                    } else if metadata || x.content != y.content || x.size != y.size || x.linkTarget != y.linkTarget || x.rdev != y.rdev {
                        out.append(TreeChange(kind: .modified, path: path, old: x, new: y))
                    }
                }
                i += 1
                j += 1
            }
        }
    }

    private static func addAll(_ kind: TreeChange.Kind, node: Node, prefix: [UInt8], store: BlobLoader,
                               into out: inout [TreeChange]) throws {
        let path = FileSystem.join(prefix, node.name)
        out.append(TreeChange(kind: kind, path: path, old: kind == .removed ? node : nil, new: kind == .added ? node : nil))
        guard node.type == .directory, let subtree = node.subtree else { return }
        for child in try store.loadTree(subtree).nodes {
            try addAll(kind, node: child, prefix: path, store: store, into: &out)
        }
    }
}
