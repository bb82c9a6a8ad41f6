import Foundation

/// Proleptic Gregorian calendar arithmetic on whole days since 1970-01-01
/// (Howard Hinnant's days_from_civil / civil_from_days), so periods do not
/// depend on Foundation's Calendar and cost a few integer operations.
struct CivilDate: Equatable {
    var year: Int
    var month: Int  // 1...12
    var day: Int    // 1...31

    var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Go's `time.Date` normalisation: months outside 1...12 carry into the
    /// year, days outside the month carry into the following/previous months.
    static func normalized(year: Int, month: Int, day: Int) -> CivilDate {
        let m0 = month - 1
        let carry = m0 >= 0 ? m0 / 12 : (m0 - 11) / 12
        let first = CivilDate(year: year + carry, month: m0 - carry * 12 + 1, day: 1)
        return CivilDate(daysSinceEpoch: first.daysSinceEpoch + day - 1)
    }

    /// Monday = 1 … Sunday = 7.
    var isoWeekday: Int {
        let d = daysSinceEpoch  // 1970-01-01 was a Thursday
        let r = ((d % 7) + 7) % 7
        return (r + 3) % 7 + 1
    }

    /// ISO 8601 week-numbering year and week (weeks start on Monday; week 1
    /// holds the year's first Thursday).
    var isoWeek: (year: Int, week: Int) {
        // The Thursday of this date's week decides the year.
        let thursday = CivilDate(daysSinceEpoch: daysSinceEpoch - isoWeekday + 4)
        let jan1 = CivilDate(year: thursday.year, month: 1, day: 1)
        let week = (thursday.daysSinceEpoch - jan1.daysSinceEpoch) / 7 + 1
        return (thursday.year, week)
    }
}

/// A wall-clock reading of an instant in a time zone.
struct LocalTime {
    let year: Int
    let month: Int
    let day: Int
    let hour: Int
    let secondsOfDay: Int
    let fraction: Double
    let civil: CivilDate

    init(_ date: Date, _ timeZone: TimeZone) {
        let t = date.timeIntervalSince1970
        let whole = t.rounded(.down)
        fraction = t - whole
        let seconds = Int(exactly: whole) ?? 0
        let local = seconds + timeZone.secondsFromGMT(for: date)
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        secondsOfDay = local - days * 86_400
        civil = CivilDate(daysSinceEpoch: days)
        year = civil.year
        month = civil.month
        day = civil.day
        hour = secondsOfDay / 3600
    }

    /// The instant showing `localSeconds` on the wall clock of `timeZone`,
    /// resolved as Go's `time.Date` does for skipped or repeated hours.
    static func instant(localSeconds: Int, fraction: Double, timeZone: TimeZone) -> Date {
        let guess = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(localSeconds)))
        var unix = localSeconds - guess
        let actual = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(unix)))
        if actual != guess { unix = localSeconds - actual }
        return Date(timeIntervalSince1970: Double(unix) + fraction)
    }
}
