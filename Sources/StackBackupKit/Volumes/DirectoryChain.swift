/// The folders from a root down to the current one, as a stack of handles.
/// At most `window` descriptors below the root are held: going deeper drops
/// the shallowest, and climbing back reopens a dropped folder through `..` of
/// its child, checked by device and inode, so a folder moved away meanwhile
/// is an error, never another folder. Depth costs no descriptors and no path
/// length. One owner (the walker, a restore's removal); not thread-safe.
struct DirectoryChain {
    static let window = 32

    private struct Level {
        var handle: DirectoryHandle?
        let name: [UInt8]
        let device: UInt64
        let inode: UInt64
    }

    private var levels: [Level]
    private let budget: DescriptorBudget?

    init(root: DirectoryHandle, status: FileStatus, budget: DescriptorBudget? = nil) {
        levels = [Level(handle: root, name: [], device: status.device, inode: status.inode)]
        self.budget = budget
    }

    /// Folders below the root.
    var depth: Int { levels.count - 1 }

    /// The current folder; always open.
    func top() throws -> DirectoryHandle { levels[levels.count - 1].handle! }

    /// The current folder's name in its parent.
    var topName: [UInt8] { levels[levels.count - 1].name }

    /// Opens the sub-folder `name` of the current folder and makes it current.
    /// `expected`: the status the caller read with `fstatat`, which the opened
    /// folder must match (it was not swapped in between).
    @discardableResult
    mutating func push(name: [UInt8], expected: FileStatus? = nil) throws -> FileStatus {
        let parent = levels[levels.count - 1].handle!
        let handle = try parent.openDirectory(name, budget: budget)
        let status = try handle.status()
        if let expected, !(expected.device == status.device && expected.inode == status.inode) {
            throw VolumeError(.system, "\(ByteString.display(handle.display)) was replaced while it was read; run the command again")
        }
        levels.append(Level(handle: handle, name: name, device: status.device, inode: status.inode))
        let drop = levels.count - 1 - DirectoryChain.window
        if drop > 0 { levels[drop].handle = nil }
        return status
    }

    /// Leaves the current folder; its parent becomes current (reopened when it was dropped).
    mutating func pop() throws {
        let child = levels.removeLast()
        let index = levels.count - 1
        guard levels[index].handle == nil, let childHandle = child.handle else { return }
        var display = childHandle.display
        display.removeLast(min(display.count, child.name.count))
        if display.count > 1, display.last == 0x2F { display.removeLast() }
        let parent = try childHandle.openParent(display: display, budget: budget)
        let status = try parent.status()
        guard status.device == levels[index].device && status.inode == levels[index].inode else {
            throw VolumeError(.system, "\(ByteString.display(display)) was moved while it was read; run the command again")
        }
        levels[index].handle = parent
    }
}
