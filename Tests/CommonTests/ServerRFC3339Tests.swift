import Testing
@testable import ConclaveServer
@testable import ConclaveWire

@Suite struct ServerRFC3339Tests {
    @Test(arguments: [
        (Int64(1_751_500_000_123), "2025-07-02T23:46:40.123+00:00"),
        (0, "1970-01-01T00:00:00+00:00"),
        (-1, "1969-12-31T23:59:59.999+00:00"),
        (1_709_208_000_000, "2024-02-29T12:00:00+00:00"),
        (1_764_000_060_007, "2025-11-24T16:01:00.007+00:00"),
        (RFC3339.latestRepresentableMs, "9999-12-31T23:59:59.999+00:00"),
    ])
    func formats(ms: Int64, text: String) {
        #expect(RFC3339.format(milliseconds: ms) == text)
    }

    @Test func extremeValuesDoNotTrap() {
        #expect(RFC3339.format(milliseconds: RFC3339.latestRepresentableMs + 1) == "+10000-01-01T00:00:00+00:00")
        #expect(RFC3339.format(milliseconds: .max).hasPrefix("+"))
        #expect(RFC3339.format(milliseconds: .min).hasPrefix("-"))
    }
}
