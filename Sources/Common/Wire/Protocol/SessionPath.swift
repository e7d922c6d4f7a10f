/// A session's address, `user/machine/session`. Three strings on the wire (PROTOCOL.md §3.5), never one.
package struct SessionPath: Hashable, Sendable {
    package var user: String
    package var machine: String
    package var session: String

    package init(user: String, machine: String, session: String) {
        self.user = user
        self.machine = machine
        self.session = session
    }

    /// Parses the text form: exactly three non-empty components separated by `/`.
    package init(parsing text: String) throws(PathError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw PathError(text: text)
        }
        self.init(user: String(parts[0]), machine: String(parts[1]), session: String(parts[2]))
    }

    /// `user/machine/session`, for display, logs, `kick` targets and history storage.
    package var text: String { "\(user)/\(machine)/\(session)" }

    /// True when the text form would be ambiguous, so JSON must use the object form (§4.1).
    package var needsObjectForm: Bool {
        [user, machine, session].contains { $0.isEmpty || $0.contains("/") }
    }

    /// True when every component is valid per §5.2 (non-empty, no `/`).
    package static func isValidComponent(_ component: String) -> Bool {
        !component.isEmpty && !component.contains("/")
    }
}

/// A text that is not a session path.
package struct PathError: Error, Hashable, Sendable, CustomStringConvertible {
    package var text: String
    package var description: String { "not a session path (user/machine/session): \"\(text)\"" }
}

extension SessionPath: CustomStringConvertible {
    package var description: String { text }
}
