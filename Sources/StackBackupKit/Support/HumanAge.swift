import Foundation

/// An age or duration in words for people and dashboards ("40 seconds",
/// "12 minutes", "26 hours", "36 days"): one unit, rounded down, so an age
/// never looks younger than it is.
public enum HumanAge {
    public static func describe(_ seconds: Double) -> String {
        let s = max(0, seconds.isFinite ? seconds : 0)
        func words(_ n: Double, _ unit: String) -> String {
            let count = Int(n.rounded(.down))
            return "\(count) \(unit)\(count == 1 ? "" : "s")"
        }
        if s < 90 { return words(s, "second") }
        if s < 90 * 60 { return words(s / 60, "minute") }
        if s < 48 * 3_600 { return words(s / 3_600, "hour") }
        return words(s / 86_400, "day")
    }
}
