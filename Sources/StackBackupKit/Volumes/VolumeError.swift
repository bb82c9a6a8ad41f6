#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Failures of a folder backup or restore that a user can act on.
public struct VolumeError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The folder to back up does not exist or is not a folder.
        case notADirectory
        /// The restore target holds files and `overwrite` was not given.
        case targetNotEmpty
        /// A path inside a snapshot does not exist.
        case pathNotFound
        /// An exclude or include pattern is malformed.
        case invalidPattern
        /// A system call failed (see the message for which and on what).
        case system
        /// SQLite's online backup failed.
        case sqlite
    }

    public let code: Code
    public let message: String
    /// For `.system`: the call that failed and its errno, so callers can tell a
    /// vanished file (ENOENT) from an unreadable one without parsing the message.
    public let systemCall: String?
    public let systemErrno: Int32?

    public init(_ code: Code, _ message: String, systemCall: String? = nil, systemErrno: Int32? = nil) {
        self.code = code
        self.message = message
        self.systemCall = systemCall
        self.systemErrno = systemErrno
    }

    public var description: String { message }

    static func system(_ call: String, path: [UInt8], errno code: Int32) -> VolumeError {
        let reason = String(cString: strerror(code))
        return VolumeError(.system, "\(call) failed on \(ByteString.display(path)): \(reason); check that the path exists and is readable",
                           systemCall: call, systemErrno: code)
    }
}
