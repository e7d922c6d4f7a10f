import Testing
@testable import ConclaveWire

@Suite struct Base64URLTests {
    @Test func roundTripsEveryLength() throws {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("="))
            #expect(try Base64URL.decode(text) == bytes)
        }
    }

    @Test func decodesTheTestIdentitySeed() throws {
        let seed = try Base64URL.decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
        #expect(seed == Array(0..<32))
    }

    @Test(arguments: [
        "AA==", "A", "AB", "a+b/", "AAE ", " AAE", "AAE\n", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9",
    ])
    func rejects(_ text: String) {
        #expect(throws: Base64URLError.self) { try Base64URL.decode(text) }
    }
}
