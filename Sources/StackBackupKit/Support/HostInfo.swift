import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Facts about this machine recorded in snapshots, keys and locks.
public enum HostInfo {
    public static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        return String(cString: buffer)
    }

    public static var username: String {
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return String(getuid())
    }

    public static var pid: Int32 { getpid() }

    /// Whether a process with this pid exists on this machine.
    public static func processExists(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
