import ConclaveIdentity
import ConclaveWire

/// What `conclave-connect` prints that is not a protocol frame (conclave-ndjson(5)).
package enum LocalEvent: Hashable, Sendable {
    /// The link authenticated. `serverID`/`admin` are nil when the server did not send them.
    case linkUp(path: SessionPath, serverID: String?, admin: Bool?)
    case linkDown(reason: String)
    /// The next dial comes after `delayMs`; `attempt` counts failed dials in a row.
    case linkRetry(attempt: Int, delayMs: Int)
    /// A channel could not be joined again after a reconnect and is forgotten.
    case rejoinFailed(channel: String, error: ProtocolError)
    /// An input line that was not sent.
    case inputError(InputLineError)
}

/// Builds the NDJSON records of `conclave-connect`: the frame's members (`type` first), then the annotations in
/// a fixed order: `_id`, `_server`, `_rx_ms`, `_permission`, `_echo`, `_local`. Pure: the receipt time is given.
package struct RecordFormatter: Sendable {
    /// The server URL as dialled, for `_server`.
    package let server: String

    package init(server: String) { self.server = server }

    /// The server's reply to a request, carrying the request's `_id` (none when it had none).
    package func reply(_ frame: ProtocolMessage, correlation: JSONValue?, receivedAtMs: Int64) -> JSONObject {
        annotated(frame.jsonObject(), correlation: correlation, receivedAtMs: receivedAtMs)
    }

    /// A request that will get no reply from the server (the link dropped or ended, or a local policy refused
    /// it), printed as an `error` frame with `_local: true` so it is not mistaken for the server's word.
    package func localError(
        _ error: ProtocolError, correlation: JSONValue?, receivedAtMs: Int64
    ) -> JSONObject {
        var object = annotated(ProtocolMessage.error(error).jsonObject(), correlation: correlation,
                               receivedAtMs: receivedAtMs)
        object["_local"] = true
        return object
    }

    /// A `channel_msg` or `whisper` from another session, with the local level of its scope.
    package func delivery(_ frame: ProtocolMessage, permission: PermissionLevel, receivedAtMs: Int64) -> JSONObject {
        var object = annotated(frame.jsonObject(), correlation: nil, receivedAtMs: receivedAtMs)
        object["_permission"] = .string(permission.rawValue)
        return object
    }

    /// This link's own acknowledged post, as the other clients of a `--socket` see it (`_echo: true`).
    package func echo(_ frame: ProtocolMessage, permission: PermissionLevel, receivedAtMs: Int64) -> JSONObject {
        var object = delivery(frame, permission: permission, receivedAtMs: receivedAtMs)
        object["_echo"] = true
        return object
    }

    /// A local event; an `input_error` carries the line's `_id` when it had one.
    package func event(_ event: LocalEvent, receivedAtMs: Int64) -> JSONObject {
        var object: JSONObject
        var correlation: JSONValue?
        switch event {
        case let .linkUp(path, serverID, admin):
            object = ["type": "link_up", "path": path.jsonValue, "server_id": JSONValue(serverID),
                      "admin": admin.map(JSONValue.bool) ?? .null]
        case let .linkDown(reason):
            object = ["type": "link_down", "reason": .string(reason)]
        case let .linkRetry(attempt, delayMs):
            object = ["type": "link_retry", "attempt": .integer(Int64(attempt)), "delay_ms": .integer(Int64(delayMs))]
        case let .rejoinFailed(channel, error):
            object = ["type": "rejoin_failed", "channel": .string(channel), "error": .string(error.displayText)]
        case let .inputError(error):
            object = ["type": "input_error", "line": .integer(Int64(error.line)), "message": .string(error.message)]
            correlation = error.correlation
        }
        return annotated(object, correlation: correlation, receivedAtMs: receivedAtMs)
    }

    private func annotated(_ object: JSONObject, correlation: JSONValue?, receivedAtMs: Int64) -> JSONObject {
        var object = object
        if let correlation { object["_id"] = correlation }
        object["_server"] = .string(server)
        object["_rx_ms"] = .integer(receivedAtMs)
        return object
    }
}
