import Foundation

/// A calendar duration for `keep_within`: years, months, weeks, days, hours,
/// written like restic's "1y6m", "10d", "12h" (plus "2w" = 14 days).
/// `m` means months here, as in restic.
///
/// Applied by calendar subtraction from the newest snapshot's local time, as
/// Go's `AddDate` does (day overflow rolls into the next month: 31 March minus
/// one month is 3 March), then hours are subtracted as elapsed time.
public struct RetentionDuration: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var years: Int
    public var months: Int
    public var weeks: Int
    public var days: Int
    public var hours: Int

    public init(years: Int = 0, months: Int = 0, weeks: Int = 0, days: Int = 0, hours: Int = 0) {
        self.years = years
        self.months = months
        self.weeks = weeks
        self.days = days
        self.hours = hours
    }

    /// Parses "10d", "2w", "6m", "1y", "12h", "1y6m"; nil for anything else
    /// (empty text, unknown unit, a number without unit, negative or huge numbers).
    public init?(_ text: String) {
        var result = RetentionDuration()
        var digits = ""
        var sawUnit = false
        for ch in text.trimmingCharacters(in: .whitespaces) {
            if ch.isASCII, ch.isNumber {
                digits.append(ch)
                continue
            }
            guard !digits.isEmpty, digits.count <= 6, let value = Int(digits) else { return nil }
            switch ch {
            case "y": result.years += value
            case "m": result.months += value
            case "w": result.weeks += value
            case "d": result.days += value
            case "h": result.hours += value
            default: return nil
            }
            digits = ""
            sawUnit = true
        }
        guard sawUnit, digits.isEmpty else { return nil }
        self = result
    }

    public var isZero: Bool { years == 0 && months == 0 && weeks == 0 && days == 0 && hours == 0 }

    public var description: String {
        var text = ""
        for (value, unit) in [(years, "y"), (months, "m"), (weeks, "w"), (days, "d"), (hours, "h")] where value != 0 {
            text += "\(value)\(unit)"
        }
        return text.isEmpty ? "0d" : text
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = RetentionDuration(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "'\(text)' is not a duration like 10d, 2w, 6m, 1y6m or 12h"))
        }
        self = value
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// The instant this duration before `date`, in `timeZone` (restic's
    /// `latest.AddDate(-y, -m, -d).Add(-h hours)`). Weeks count as 7 days.
    public func subtracted(from date: Date, timeZone: TimeZone) -> Date {
        let local = LocalTime(date, timeZone)
        let shifted = CivilDate.normalized(
            year: local.year - years, month: local.month - months,
            day: local.day - days - 7 * weeks)
        let localSeconds = shifted.daysSinceEpoch * 86_400 + local.secondsOfDay
        let instant = LocalTime.instant(localSeconds: localSeconds, fraction: local.fraction, timeZone: timeZone)
        return instant.addingTimeInterval(-3600 * Double(hours))
    }
}
