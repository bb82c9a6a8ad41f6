/// A file the walker hands to the reading workers.
struct ReadJob: Sendable {
    let index: Int
    /// The file's folder, held open until the job is done, and its name there.
    let directory: DirectoryHandle
    let name: [UInt8]
    let relativePath: [UInt8]
    let isSQLite: Bool
}
