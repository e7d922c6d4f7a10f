/// One option of a tool's command line, declared once: its names, the value it takes, its help line (with an
/// example), how a shell completes its value, and where its value goes in the tool's `Command`. The parser, the
/// `--help` text and the completion scripts are all generated from these declarations.
package struct CommandLineOption<Command> {
    /// What a shell offers for the option's value.
    package enum ValueCompletion: Hashable, Sendable {
        /// Nothing: the value cannot be guessed (a URL, a number).
        case none
        /// File names.
        case file
        /// Directory names.
        case directory
        /// One of these words.
        case words([String])
    }

    /// `-u`, without the dash.
    package var shortName: Character?
    /// `--url`, without the dashes.
    package var longName: String?
    /// The placeholder of the value in help (`url`); nil for a flag, which takes no value.
    package var valueName: String?
    /// One line of help ending with an example, `(example: -u wss://conclave.example.com).`
    package var help: String
    /// Whether the option may be given more than once, each value kept (`-j ops -j dev`).
    package var isRepeatable: Bool
    package var completion: ValueCompletion
    /// Stores a value (a flag gets the empty string) into the command, or says what the value needs
    /// (`needs a whole number, not 'x'`); the parser puts the option, as typed, in front.
    package var apply: (inout Command, String) throws(CommandLineError) -> Void

    /// `-u, --url`, the names as the user types them, short first.
    package var displayNames: [String] {
        [shortName.map { "-\($0)" }, longName.map { "--\($0)" }].compactMap { $0 }
    }
}

// Values are stored by closures, not key paths: instantiating a key path's generic class at run time cost more
// than the rest of a tool's start-up (bench/RESULTS.md "Clients").
extension CommandLineOption {
    /// A flag; `set` receives `true` when it is given.
    package static func flag(
        short: Character? = nil, long: String? = nil, help: String, _ set: @escaping (inout Command, Bool) -> Void
    ) -> Self {
        Self(shortName: short, longName: long, valueName: nil, help: help, isRepeatable: false, completion: .none) {
            command, _ in set(&command, true)
        }
    }

    /// An option whose value is kept as text; given twice, the last value wins.
    package static func option(
        short: Character? = nil, long: String? = nil, value: String, help: String,
        completion: ValueCompletion = .none, _ set: @escaping (inout Command, String) -> Void
    ) -> Self {
        Self(shortName: short, longName: long, valueName: value, help: help, isRepeatable: false,
             completion: completion) { command, text in set(&command, text) }
    }

    /// An option that may be repeated; `append` receives every value, in order.
    package static func repeatable(
        short: Character? = nil, long: String? = nil, value: String, help: String,
        completion: ValueCompletion = .none, _ append: @escaping (inout Command, String) -> Void
    ) -> Self {
        Self(shortName: short, longName: long, valueName: value, help: help, isRepeatable: true,
             completion: completion) { command, text in append(&command, text) }
    }

    /// An option whose value is a whole number in decimal.
    package static func integer(
        short: Character? = nil, long: String? = nil, value: String, help: String,
        _ set: @escaping (inout Command, Int) -> Void
    ) -> Self {
        Self(shortName: short, longName: long, valueName: value, help: help, isRepeatable: false,
             completion: .none) { command, text throws(CommandLineError) in
            guard let number = Int(text) else { throw CommandLineError("needs a whole number, not '\(text)'") }
            set(&command, number)
        }
    }

    /// An option whose value is a finite decimal number (seconds, mostly).
    package static func number(
        short: Character? = nil, long: String? = nil, value: String, help: String,
        _ set: @escaping (inout Command, Double) -> Void
    ) -> Self {
        Self(shortName: short, longName: long, valueName: value, help: help, isRepeatable: false,
             completion: .none) { command, text throws(CommandLineError) in
            guard let number = Double(text), number.isFinite else {
                throw CommandLineError("needs a number, not '\(text)'")
            }
            set(&command, number)
        }
    }
}
