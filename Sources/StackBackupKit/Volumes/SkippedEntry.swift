#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An entry a folder backup could not store as it was on disk: left out, a
/// folder recorded empty, or a file stored while it kept changing. Any of them
/// makes the backup partial (exit 3); the snapshot holds everything else.
public struct SkippedEntry: Codable, Sendable, Equatable {
    public enum Reason: String, Codable, Sendable {
        /// Permission denied, an I/O error, a failed SQLite copy: left out.
        case unreadable
        /// Gone between the folder listing and its read.
        case vanished
        /// The OS refused the name or the full path (ENAMETOOLONG).
        case nameTooLong = "name_too_long"
        /// A name no tree may hold (empty, `.`, `..`, `/` or NUL in it).
        case invalidName = "invalid_name"
        /// Not a file, folder, symlink, device, FIFO or socket.
        case unknownType = "unknown_type"
        /// Changed during its read and again during the one re-read: stored
        /// as the second read got it, which may be torn.
        case changedWhileRead = "changed_while_read"

        /// How the summary line and warnings say it.
        public var text: String {
            switch self {
            case .unreadable: "unreadable"
            case .vanished: "vanished before it was read"
            case .nameTooLong: "name too long for the OS"
            case .invalidName: "invalid name"
            case .unknownType: "unknown file type"
            case .changedWhileRead: "changed while being read"
            }
        }
    }

    /// Relative to the backup root, `/` for the root itself (display form: bytes that are
    /// not UTF-8 are escaped).
    public var path: String
    public var reason: Reason
    /// The OS error with the call that failed ("open: Permission denied"), or what else
    /// went wrong; nil when there was no error (a file that kept changing).
    public var error: String?
    /// True for a folder that could not be listed and is recorded empty.
    public var folder: Bool

    public init(path: String, reason: Reason, error: String? = nil, folder: Bool = false) {
        self.path = path
        self.reason = reason
        self.error = error
        self.folder = folder
    }

    /// A record for an entry whose read failed with `error`: the errno of a
    /// `VolumeError.system` says whether it vanished or its name was too long.
    init(path: String, error: Error, folder: Bool = false) {
        let reason: Reason
        let detail: String
        if let volume = error as? VolumeError, let code = volume.systemErrno {
            switch code {
            case ENOENT, ENOTDIR: reason = .vanished
            case ENAMETOOLONG: reason = .nameTooLong
            default: reason = .unreadable
            }
            detail = "\(volume.systemCall ?? "system call"): \(String(cString: strerror(code)))"
        } else {
            reason = .unreadable
            detail = "\(error)"
        }
        self.init(path: path, reason: reason, error: detail, folder: folder)
    }

    /// The warning a human reads.
    public var message: String {
        let what = folder ? "folder \(path) \(reason.text), recorded empty" : reason == .changedWhileRead
            ? "stored \(path) although it \(reason.text) (read twice, changed both times: the copy may be torn)"
            : "skipped \(path): \(reason.text)"
        return error.map { "\(what) (\($0))" } ?? what
    }

    /// The short form for a summary line: the path and why.
    public var summary: String {
        let name = folder && path != "/" ? path + "/" : path
        return "\(name) (\(reason.text)\(folder ? ", recorded empty" : "")\(error.map { ": \($0)" } ?? ""))"
    }

    /// "2 entries skipped: a (unreadable: …), b (…)", naming at most `limit`
    /// entries and then "and N more, see <seeAlso>" so the line stays readable.
    public static func summary(of entries: [SkippedEntry], limit: Int = 20, seeAlso: String) -> String {
        let head = "\(entries.count) \(entries.count == 1 ? "entry" : "entries") skipped: "
        let named = entries.prefix(limit).map(\.summary).joined(separator: ", ")
        let more = entries.count > limit ? ", and \(entries.count - limit) more, see \(seeAlso)" : ""
        return head + named + more
    }
}
