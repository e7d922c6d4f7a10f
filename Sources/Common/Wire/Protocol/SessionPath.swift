/// A session's address, `user/machine/session`. Three strings on the wire (PROTOCOL.md §3.5), never one.
public struct SessionPath: Hashable, Sendable {
    public var user: String
    public var machine: String
    public var session: String

    public init(user: String, machine: String, session: String) {
        self.user = user
        self.machine = machine
        self.session = session
    }

    /// Parses the text form: exactly three non-empty components separated by `/`.
    public init(parsing text: String) throws(PathError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw PathError(text: text)
        }
        self.init(user: String(parts[0]), machine: String(parts[1]), session: String(parts[2]))
    }

    /// `user/machine/session`, for display, logs, `kick` targets and history storage.
    public var text: String { "\(user)/\(machine)/\(session)" }

    /// True when the text form would be ambiguous, so JSON must use the object form (§4.1).
    public var needsObjectForm: Bool {
        [user, machine, session].contains { $0.isEmpty || $0.contains("/") }
    }

    /// True when every component is valid per §5.2 (non-empty, no `/`).
    public static func isValidComponent(_ component: String) -> Bool {
        !component.isEmpty && !component.contains("/")
    }
}

/// A text that is not a session path.
public struct PathError: Error, Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var description: String { "not a session path (user/machine/session): \"\(text)\"" }
}

extension SessionPath: CustomStringConvertible {
    public var description: String { text }
}
