/// A TOML date-time value: which parts are present tells its kind (offset date-time, local date-time, local date,
/// local time). Kept as read rather than converted, so a key this tool does not use is never altered.
public struct TOMLDateTime: Hashable, Sendable {
    public struct Date: Hashable, Sendable {
        public var year: Int
        public var month: Int
        public var day: Int
    }

    public struct Time: Hashable, Sendable {
        public var hour: Int
        public var minute: Int
        /// 0 to 60 (a leap second).
        public var second: Int
        /// Fractional seconds; digits beyond nanoseconds are truncated.
        public var nanosecond: Int
    }

    public var date: Date?
    public var time: Time?
    /// Minutes east of UTC (`Z` is 0); present only on an offset date-time.
    public var offsetMinutes: Int?

    public init(date: Date? = nil, time: Time? = nil, offsetMinutes: Int? = nil) {
        self.date = date
        self.time = time
        self.offsetMinutes = offsetMinutes
    }

    /// The TOML type name, for messages.
    public var typeName: String {
        switch (date, time, offsetMinutes) {
        case (_?, _?, _?): "an offset date-time"
        case (_?, _?, nil): "a local date-time"
        case (_?, nil, _): "a local date"
        default: "a local time"
        }
    }
}
