/// A JSON object whose members keep their insertion order, with unique names.
///
/// Writers rely on the order (`type` first, then fields in wire order, then `_` annotations); equality
/// ignores it, because JSON objects compare structurally (PROTOCOL.md §4.1).
package struct JSONObject: Hashable, Sendable, ExpressibleByDictionaryLiteral {
    package struct Member: Hashable, Sendable {
        package var name: String
        package var value: JSONValue

        package init(name: String, value: JSONValue) {
            self.name = name
            self.value = value
        }
    }

    /// The members in order. Names are unique.
    package private(set) var members: [Member] = []

    package init() {}

    package init(dictionaryLiteral members: (String, JSONValue)...) {
        for (name, value) in members { self[name] = value }
    }

    package var count: Int { members.count }
    package var isEmpty: Bool { members.isEmpty }
    package var names: [String] { members.map(\.name) }

    /// Reads a member; setting replaces it in place, adds it at the end if new, or removes it given `nil`.
    package subscript(name: String) -> JSONValue? {
        get { members.first { $0.name == name }?.value }
        set {
            let index = members.firstIndex { $0.name == name }
            switch (index, newValue) {
            case let (index?, value?): members[index].value = value
            case let (index?, nil): members.remove(at: index)
            case let (nil, value?): members.append(Member(name: name, value: value))
            case (nil, nil): break
            }
        }
    }

    /// Appends a member known not to be present (jansson has already refused duplicates), without the
    /// linear search of the subscript, so parsing a wide object stays linear.
    mutating func appendUnique(_ name: String, _ value: JSONValue) {
        members.append(Member(name: name, value: value))
    }

    /// Adds (or replaces) every member of `other`, in its order: e.g. annotations after a frame's members.
    package mutating func merge(_ other: JSONObject) {
        for member in other.members { self[member.name] = member.value }
    }

    package static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.count == rhs.count && lhs.members.allSatisfy { rhs[$0.name] == $0.value }
    }

    /// Order-independent, to agree with `==`.
    package func hash(into hasher: inout Hasher) {
        hasher.combine(members.reduce(0) { $0 ^ $1.hashValue })
    }
}
