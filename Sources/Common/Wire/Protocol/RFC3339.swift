/// RFC 3339 text for Unix-epoch milliseconds, written as upstream writes it: UTC with a `+00:00` offset and
/// the fraction only when it is not zero (`2026-11-25T01:02:03.456+00:00`, `2026-11-25T01:02:03+00:00`).
///
/// Civil-from-days arithmetic (H. Hinnant's algorithm), so no Foundation is needed.
package enum RFC3339 {
    /// The last millisecond of year 9999, the latest instant a four-digit RFC 3339 year can name.
    package static let latestRepresentableMs: Int64 = 253_402_300_799_999

    /// Formats `ms`. Years outside 0…9999 (never produced by a sane clock) get chrono's extended form,
    /// a sign and more digits, instead of failing.
    package static func format(milliseconds ms: Int64) -> String {
        let (days, msOfDay) = floorDivide(ms, by: 86_400_000)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let secondsOfDay = msOfDay / 1000
        var text = yearText(year)
        text += "-" + padded(month, 2) + "-" + padded(day, 2)
        text += "T" + padded(secondsOfDay / 3600, 2) + ":" + padded(secondsOfDay / 60 % 60, 2)
        text += ":" + padded(secondsOfDay % 60, 2)
        if msOfDay % 1000 != 0 { text += "." + padded(msOfDay % 1000, 3) }
        return text + "+00:00"
    }

    private static func floorDivide(_ value: Int64, by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value / divisor
        let remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    private static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func yearText(_ year: Int64) -> String {
        if year < 0 { return "-" + padded(-year, 4) }
        if year > 9999 { return "+" + String(year) }
        return padded(year, 4)
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
