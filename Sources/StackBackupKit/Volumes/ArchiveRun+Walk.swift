// The walker: one folder at a time, depth first, on one thread (a `DeepStack`).
// Every entry is reached by name from its folder's descriptor (`chain`), so
// neither depth nor path length limits it and no symlink is followed.

extension ArchiveRun {
    /// Walks the current folder of `chain` (`relativePath` from the volume root)
    /// against its tree in the parent snapshot; with `entering`, first enters
    /// that sub-folder, which must be the one `expected` describes.
    func walk(relativePath: [UInt8], parent: Tree?, entering name: [UInt8]? = nil, expected: FileStatus? = nil) throws -> WalkedDirectory {
        if queue.isStopped {
            throw stopReason ?? RepositoryError(.other, "the backup's read queue closed without a reason; this is a bug, please report it")
        }
        let names: [[UInt8]]
        var entered = false
        do {
            if let name {
                budget.waitForRoom { queue.isStopped }
                try chain.push(name: name, expected: expected)
                entered = true
            }
            names = try chain.top().list()
        } catch {
            if entered { try chain.pop() }
            skip(relativePath, error, folder: true)
            return .saved(try saveTree([]))
        }
        let walked = try walkEntries(names, relativePath: relativePath, parent: parent)
        if entered { try chain.pop() }
        return walked
    }

    private func walkEntries(_ names: [[UInt8]], relativePath: [UInt8], parent: Tree?) throws -> WalkedDirectory {
        let sqliteNames = Set(names.filter { sqlite.matches(FileSystem.join(relativePath, $0), isDirectory: false) })
        var nodes: [Node] = []
        var jobs: [(node: Int, job: Int)] = []
        var children: [(node: Int, directory: PendingDirectory)] = []
        nodes.reserveCapacity(names.count)
        // A folder entered only for a kept entry: everything in it is excluded but what `keeps` names.
        let insideExcluded = !keeps.isEmpty && !excludes.isEmpty && excludes.coversFolder(relativePath)

        for name in names {
            let entryRelative = FileSystem.join(relativePath, name)
            if sqliteNames.contains(where: { SQLiteSnapshot.isCompanion(name, of: $0) }) { continue }
            if let problem = Node.nameProblem(name) {
                // Only a broken file system or a readdir() shim returns such a name; a tree must never hold it.
                skip(FileSystem.join(relativePath, name), .invalidName, "an entry of \(display(relativePath)) whose name \(problem)")
                continue
            }
            let status: FileStatus
            do {
                status = try chain.top().status(of: name)
            } catch {
                skip(entryRelative, error)
                continue
            }
            guard let type = status.nodeType else {
                skip(entryRelative, .unknownType)
                continue
            }
            if !excludes.isEmpty, insideExcluded || excludes.matches(entryRelative, isDirectory: type == .directory) {
                let isDirectory = type == .directory
                guard keeps.matches(entryRelative, isDirectory: isDirectory) || (isDirectory && keeps.mayMatchInside(entryRelative)) else { continue }
            }

            var node = makeNode(name: name, type: type, status: status)
            let old = parent?.node(named: name)
            switch type {
            case .directory:
                if options.oneFileSystem && status.device != rootDevice {
                    node.subtree = try saveTree([])
                    break
                }
                if chain.depth >= DeepStack.maxDepth {
                    skip(entryRelative, .unreadable, "more than \(DeepStack.maxDepth) folders deep")
                    continue
                }
                let oldTree = old.flatMap { $0.type == .directory ? $0.subtree : nil }.flatMap { loadParent($0, path: entryRelative) }
                switch try walk(relativePath: entryRelative, parent: oldTree, entering: name, expected: status) {
                case .saved(let id): node.subtree = id
                case .pending(let pending): children.append((nodes.count, pending))
                }
            case .symlink:
                do {
                    node.linkTarget = try chain.top().readLink(name)
                } catch {
                    skip(entryRelative, error)
                    continue
                }
            case .file:
                let isSQLite = sqliteNames.contains(name)
                switch contentSource(for: status, old: old, isSQLite: isSQLite, directory: try chain.top(), name: name, relativePath: entryRelative) {
                case .known(let ids): node.content = ids
                case .job(let job): jobs.append((nodes.count, job))
                }
            case .charDevice, .blockDevice:
                node.rdev = status.rdev
            case .fifo, .socket:
                break
            }
            nodes.append(node)
        }

        // The root folder's own metadata goes into its tree (it has no node).
        let folder = chain.depth == 0 ? rootMetadata : nil
        if jobs.isEmpty && children.isEmpty { return .saved(try saveTree(nodes, root: folder)) }
        let pending = PendingDirectory(nodes: nodes)
        pending.root = folder
        pending.jobs = jobs
        pending.children = children
        return .pending(pending)
    }

    /// Where a regular file's content comes from: the parent snapshot, an
    /// earlier hard link to the same inode, or a read.
    private func contentSource(for status: FileStatus, old: Node?, isSQLite: Bool,
                               directory: DirectoryHandle, name: [UInt8], relativePath: [UInt8]) -> ContentSource {
        let linkKey = HardLinkKey(device: status.device, inode: status.inode)
        if status.links > 1, let seen = hardLinks[linkKey] { return seen }
        count { $0.bytesTotal += status.size }
        let source: ContentSource
        if !isSQLite, let old, old.type == .file, let content = old.content, old.size == status.size,
           old.mtimeNs == status.mtimeNs, old.ctimeNs == status.ctimeNs, old.inode == status.inode {
            count { $0.filesUnchanged += 1 }
            source = .known(content)
        } else {
            let isNew = old?.type != .file
            count { if isNew { $0.filesNew += 1 } else { $0.filesChanged += 1 } }
            source = .job(enqueue(directory: directory, name: name, relativePath: relativePath, isSQLite: isSQLite))
        }
        if status.links > 1 { hardLinks[linkKey] = source }
        return source
    }

    private func makeNode(name: [UInt8], type: NodeType, status: FileStatus) -> Node {
        var node = Node(name: name, type: type, mode: status.mode & 0o7777, uid: status.uid, gid: status.gid,
                        mtimeNs: status.mtimeNs, ctimeNs: status.ctimeNs, inode: status.inode,
                        device: status.device, links: status.links, size: type == .file ? status.size : 0)
        node.user = owners.userName(status.uid)
        node.group = owners.groupName(status.gid)
        return node
    }

    private func display(_ relativePath: [UInt8]) -> String {
        relativePath.isEmpty ? "/" : ByteString.display(relativePath)
    }
}
