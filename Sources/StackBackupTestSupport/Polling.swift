import Foundation

/// Waits for a condition a test cannot be told about (a file appearing, a
/// process state): checks it every few milliseconds until it holds or the
/// deadline passes. Never a fixed sleep.
public enum Poll {
    /// True once `condition` held; false when `timeout` seconds passed first.
    @discardableResult
    public static func until(timeout: TimeInterval = 60, every interval: TimeInterval = 0.005,
                             _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try condition() { return true }
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}
