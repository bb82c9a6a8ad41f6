/// What to restore, gathered from the snapshot's trees before anything is
/// written. Every entry names its folder by index into `directories` (-1 for
/// the target itself), so the writer reaches it by name from that folder's
/// descriptor; `path` (relative to the target) is for messages and progress.
final class RestorePlan {
    static let target = -1

    struct Entry: Sendable {
        let path: [UInt8]
        /// Index of the folder holding it in `directories`, or `RestorePlan.target`.
        let parent: Int
        let node: Node
        var name: [UInt8] { node.name }
    }

    final class Directory {
        let path: [UInt8]
        let parent: Int
        let node: Node
        var needed = false
        init(path: [UInt8], parent: Int, node: Node) { (self.path, self.parent, self.node) = (path, parent, node) }
    }

    let includes: GlobSet
    /// Parents before children (pre-order), so creating them in order works and
    /// setting their metadata in reverse does each folder after everything in it.
    var directories: [Directory] = []
    var files: [Entry] = []
    var hardLinks: [(entry: Entry, first: Entry)] = []
    var others: [Entry] = []
    var bytesTotal: Int64 = 0
    /// The snapshot root's own mode, owner and mtime, when recorded.
    var root: FolderMetadata?
    private var linked: [ArchiveRun.HardLinkKey: Entry] = [:]
    private var stack: [Int] = []

    init(includes: GlobSet) { self.includes = includes }

    func build(store: BlobLoader, tree: ObjectID) throws {
        let top = try store.loadTree(tree)
        root = top.root
        try DeepStack.run { try visit(store: store, tree: top, prefix: [], included: includes.isEmpty) }
    }

    private func visit(store: BlobLoader, tree: Tree, prefix: [UInt8], included parentIncluded: Bool) throws {
        guard stack.count <= DeepStack.maxDepth else {
            throw VolumeError(.system, "the snapshot holds folders more than \(DeepStack.maxDepth) levels deep, deeper than a restore goes; nothing was written")
        }
        let parent = stack.last ?? RestorePlan.target
        for node in tree.nodes {
            let path = FileSystem.join(prefix, node.name)
            let included = parentIncluded || includes.matches(path, isDirectory: node.type == .directory)
            if included { markAncestorsNeeded() }
            switch node.type {
            case .directory:
                let directory = Directory(path: path, parent: parent, node: node)
                directory.needed = included
                directories.append(directory)
                guard let subtree = node.subtree else { continue }
                stack.append(directories.count - 1)
                try visit(store: store, tree: try store.loadTree(subtree), prefix: path, included: included)
                stack.removeLast()
            case .file where included:
                let entry = Entry(path: path, parent: parent, node: node)
                let key = ArchiveRun.HardLinkKey(device: node.device, inode: node.inode)
                if node.links > 1, let first = linked[key] {
                    hardLinks.append((entry, first))
                } else {
                    if node.links > 1 { linked[key] = entry }
                    files.append(entry)
                    bytesTotal += node.size
                }
            default:
                if included { others.append(Entry(path: path, parent: parent, node: node)) }
            }
        }
    }

    private func markAncestorsNeeded() {
        for index in stack.reversed() {
            if directories[index].needed { break }
            directories[index].needed = true
        }
    }
}
