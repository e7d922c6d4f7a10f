import Testing
@testable import ConclaveServer

@Suite struct ServerClusterEventTests {
    static let events: [ClusterEvent] = [
        .superseded(path: "alice/laptop/main", generation: 1 << 40),
        .whisper(target: "bob/desk/agent", frame: [0, 1, 2, 255], after: 7),
        .whisper(target: "", frame: [], after: 0),
        .channelDeleted("ops"),
        .channelRenamed(from: "ops", to: "ops-2 ✓"),
        .userUnsubscribed(user: "carol", channel: "ops"),
        .pathUnsubscribed(path: "carol/pc/x", channel: "ops"),
        .userRemoved("dave"),
        .machineRemoved(user: "dave", machine: "old"),
    ]

    @Test(arguments: events)
    func anEventSurvivesItsEncoding(_ event: ClusterEvent) {
        #expect(ClusterEvent(decoding: event.encoded) == event)
    }

    @Test(arguments: events)
    func aTruncatedOrExtendedEventIsNotAnEvent(_ event: ClusterEvent) {
        let bytes = event.encoded
        for length in 0..<bytes.count {
            #expect(ClusterEvent(decoding: Array(bytes.prefix(length))) == nil)
        }
        #expect(ClusterEvent(decoding: bytes + [0]) == nil)
    }

    @Test func anUnknownKindIsNotAnEvent() {
        #expect(ClusterEvent(decoding: [99, 0, 0, 0, 0]) == nil)
        // A channel name that is not UTF-8.
        #expect(ClusterEvent(decoding: [2, 2, 0xff, 0xfe]) == nil)
    }
}
