/// A TOML date-time value: which parts are present tells its kind (offset date-time, local date-time, local date,
/// local time). Kept as read rather than converted, so a key this tool does not use is never altered.
package struct TOMLDateTime: Hashable, Sendable {
    package struct Date: Hashable, Sendable {
        package var year: Int
        package var month: Int
        package var day: Int
    }

    package struct Time: Hashable, Sendable {
        package var hour: Int
        package var minute: Int
        /// 0 to 60 (a leap second).
        package var second: Int
        /// Fractional seconds; digits beyond nanoseconds are truncated.
        package var nanosecond: Int
    }

    package var date: Date?
    package var time: Time?
    /// Minutes east of UTC (`Z` is 0); present only on an offset date-time.
    package var offsetMinutes: Int?

    package init(date: Date? = nil, time: Time? = nil, offsetMinutes: Int? = nil) {
        self.date = date
        self.time = time
        self.offsetMinutes = offsetMinutes
    }

    /// The TOML type name, for messages.
    package var typeName: String {
        switch (date, time, offsetMinutes) {
        case (_?, _?, _?): "an offset date-time"
        case (_?, _?, nil): "a local date-time"
        case (_?, nil, _): "a local date"
        default: "a local time"
        }
    }
}
