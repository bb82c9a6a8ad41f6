import Foundation

/// Rewrites a volume snapshot's trees without what cannot be read, as restic's
/// `repair snapshots` does: a folder whose tree is unreadable becomes an empty
/// folder; a file keeps its readable chunks in order and loses the missing ones
/// (its size shrinks to what is left). Unchanged subtrees keep their ids, so the
/// new trees share everything intact with the original. Single-threaded.
final class TreeRepairer {
    /// One thing a repair changes, by path below the snapshot root.
    struct Change: Sendable {
        var path: String
        var problem: String
    }

    private let repository: Repository
    private let availability: BlobAvailability
    /// Stores a tree and returns its id (a dry run only computes the id).
    private let save: (Tree) throws -> ObjectID
    private let cancellation: Cancellation
    /// Original tree id → its repaired id (nil: unreadable) and changes relative to it.
    private var done: [ObjectID: (id: ObjectID?, changes: [Change])] = [:]
    private var emptyTree: ObjectID?

    init(repository: Repository, availability: BlobAvailability, cancellation: Cancellation, save: @escaping (Tree) throws -> ObjectID) {
        self.repository = repository
        self.availability = availability
        self.cancellation = cancellation
        self.save = save
    }

    /// The repaired root (nil when the root itself is unreadable) and what changed.
    func repair(root: ObjectID) throws -> (root: ObjectID?, changes: [Change]) {
        let (id, changes) = try repair(tree: root)
        return (id, changes)
    }

    private func repair(tree id: ObjectID) throws -> (id: ObjectID?, changes: [Change]) {
        if let known = done[id] { return known }
        try cancellation.check()
        guard let tree = try load(id) else {
            done[id] = (nil, [])
            return (nil, [])
        }
        var nodes: [Node] = []
        var changes: [Change] = []
        var changed = false
        for var node in tree.nodes {
            let name = node.displayName
            if let subtree = node.subtree {
                let (newID, below) = try repair(tree: subtree)
                changes += below.map { Change(path: name + "/" + $0.path, problem: $0.problem) }
                if let newID {
                    if newID != subtree { node.subtree = newID; changed = true }
                } else {
                    node.subtree = try empty()
                    changed = true
                    changes.append(Change(path: name + "/", problem: "folder unreadable (tree \(subtree.short)): restored empty"))
                }
            }
            if let content = node.content {
                let kept = try content.filter { try availability.dataAvailable($0) }
                if kept.count != content.count {
                    let size = kept.reduce(Int64(0)) { $0 + Int64(availability.rawLength(of: $1)) }
                    changes.append(Change(path: name, problem: "\(content.count - kept.count) of \(content.count) chunk(s) missing: "
                                          + "keeps \(size) of \(node.size) bytes, the missing parts cut out"))
                    node.content = kept
                    node.size = size
                    changed = true
                }
            }
            nodes.append(node)
        }
        let newID = changed ? try save(Tree(nodes: nodes)) : id
        done[id] = (newID, changes)
        return (newID, changes)
    }

    /// Loads a tree, or nil when it is missing or damaged; other failures (I/O) stop the repair.
    private func load(_ id: ObjectID) throws -> Tree? {
        guard availability.available(.tree, id) else { return nil }
        do {
            return try repository.loadTree(id)
        } catch is IntegrityError {
            return nil
        } catch let error as RepositoryError where error.code == .notFound {
            return nil
        } catch let error as BackendError where error.code == .notFound || error.code == .shortRead {
            return nil
        }
    }

    private func empty() throws -> ObjectID {
        if let emptyTree { return emptyTree }
        let id = try save(Tree(nodes: []))
        emptyTree = id
        return id
    }
}
