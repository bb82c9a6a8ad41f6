// The walker: one folder at a time, depth first, on the caller's thread.

extension ArchiveRun {
    /// Walks the folder at `path` (`relativePath` from the volume root) against
    /// its tree in the parent snapshot.
    func walk(path: [UInt8], relativePath: [UInt8], parent: Tree?) throws -> WalkedDirectory {
        if queue.isCancelled {
            throw stopReason ?? RepositoryError(.other, "the backup's read queue closed without a reason; this is a bug, please report it")
        }
        let names: [[UInt8]]
        do {
            names = try FileSystem.listDirectory(path)
        } catch {
            skip(relativePath, error, folder: true)
            return .saved(try saveTree([]))
        }
        let sqliteNames = Set(names.filter { sqlite.matches(FileSystem.join(relativePath, $0), isDirectory: false) })
        var nodes: [Node] = []
        var jobs: [(node: Int, job: Int)] = []
        var children: [(node: Int, directory: PendingDirectory)] = []
        nodes.reserveCapacity(names.count)

        for name in names {
            let entryPath = FileSystem.join(path, name)
            let entryRelative = FileSystem.join(relativePath, name)
            if sqliteNames.contains(where: { SQLiteSnapshot.isCompanion(name, of: $0) }) { continue }
            if let problem = Node.nameProblem(name) {
                // Only a broken file system or a readdir() shim returns such a name; a tree must never hold it.
                skip(FileSystem.join(relativePath, name), .invalidName, "an entry of \(display(relativePath)) whose name \(problem)")
                continue
            }
            let status: FileStatus
            do {
                status = try FileSystem.lstatus(entryPath)
            } catch {
                skip(entryRelative, error)
                continue
            }
            guard let type = status.nodeType else {
                skip(entryRelative, .unknownType)
                continue
            }
            if !excludes.isEmpty, excludes.matches(entryRelative, isDirectory: type == .directory) { continue }

            var node = makeNode(name: name, type: type, status: status)
            let old = parent?.node(named: name)
            switch type {
            case .directory:
                if options.oneFileSystem && status.device != rootDevice {
                    node.subtree = try saveTree([])
                    break
                }
                let oldTree = old.flatMap { $0.type == .directory ? $0.subtree : nil }.flatMap { loadParent($0, path: entryRelative) }
                switch try walk(path: entryPath, relativePath: entryRelative, parent: oldTree) {
                case .saved(let id): node.subtree = id
                case .pending(let pending): children.append((nodes.count, pending))
                }
            case .symlink:
                do {
                    node.linkTarget = try FileSystem.readLink(entryPath)
                } catch {
                    skip(entryRelative, error)
                    continue
                }
            case .file:
                let isSQLite = sqliteNames.contains(name)
                switch contentSource(for: status, old: old, isSQLite: isSQLite, path: entryPath, relativePath: entryRelative) {
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

        if jobs.isEmpty && children.isEmpty { return .saved(try saveTree(nodes)) }
        let pending = PendingDirectory(nodes: nodes)
        pending.jobs = jobs
        pending.children = children
        return .pending(pending)
    }

    /// Where a regular file's content comes from: the parent snapshot, an
    /// earlier hard link to the same inode, or a read.
    private func contentSource(for status: FileStatus, old: Node?, isSQLite: Bool,
                               path: [UInt8], relativePath: [UInt8]) -> ContentSource {
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
            source = .job(enqueue(path: path, relativePath: relativePath, isSQLite: isSQLite))
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
