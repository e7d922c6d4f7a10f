/// What a command line asks for: the tool's work, or one of the answers every tool gives by itself.
package enum CommandLineRequest<Command> {
    case run(Command)
    case help
    case version
    case completionScript(CompletionShell)
}

extension CommandLineInterface {
    /// Reads `arguments` (without the program name) into `command`, getopt-style with long options: `-qv` combines
    /// flags, `-W5` and `-W 5` give a value, `--url=U` and `--url U` too, options and positional arguments may be
    /// mixed, `--` ends the options and `-` alone is a positional argument. `--help`, `-h`, `--version` and
    /// `--generate-completion-script SHELL` are answered at once, whatever follows them.
    package func parse(_ arguments: [String], into command: Command) throws(CommandLineError)
        -> CommandLineRequest<Command>
    {
        var command = command
        var positionalValues: [String] = []
        var remaining = arguments[...]
        var optionsEnded = false
        while let argument = remaining.popFirst() {
            if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                positionalValues.append(argument)
            } else if argument == "--" {
                optionsEnded = true
            } else if argument.hasPrefix("--") {
                if let request = try readLongOption(argument, remaining: &remaining, into: &command) { return request }
            } else if let request = try readShortOptions(argument, remaining: &remaining, into: &command) {
                return request
            }
        }
        if let positionals {
            positionals.set(&command, positionalValues)
        } else if let extra = positionalValues.first {
            throw CommandLineError("unexpected argument '\(extra)'")
        }
        try validate(command)
        return .run(command)
    }

    /// `--name`, `--name=value` or `--name value`.
    private func readLongOption(
        _ argument: String, remaining: inout ArraySlice<String>, into command: inout Command
    ) throws(CommandLineError) -> CommandLineRequest<Command>? {
        let body = argument.dropFirst(2)
        let name = String(body.prefix { $0 != "=" })
        let attached = body.firstIndex(of: "=").map { String(body[body.index(after: $0)...]) }
        switch name {
        case "help", "version":
            if attached != nil { throw CommandLineError("--\(name) takes no value") }
            return name == "help" ? .help : .version
        case "generate-completion-script":
            let shellName = try Self.value(attached, for: "--\(name)", valueName: "shell", from: &remaining)
            guard let shell = CompletionShell(rawValue: shellName) else {
                throw CommandLineError("--\(name) needs bash, zsh or fish, not '\(shellName)'")
            }
            return .completionScript(shell)
        default: break
        }
        guard let option = options.first(where: { $0.longName == name }) else {
            throw CommandLineError("unknown option '--\(name)'")
        }
        guard let valueName = option.valueName else {
            if attached != nil { throw CommandLineError("--\(name) takes no value") }
            try Self.apply(option, "", spelled: "--\(name)", to: &command)
            return nil
        }
        let value = try Self.value(attached, for: "--\(name)", valueName: valueName, from: &remaining)
        try Self.apply(option, value, spelled: "--\(name)", to: &command)
        return nil
    }

    /// `-q`, `-qv`, `-W 5`, `-W5`, `-qW5`: flags, the last of which may take the rest or the next argument.
    private func readShortOptions(
        _ argument: String, remaining: inout ArraySlice<String>, into command: inout Command
    ) throws(CommandLineError) -> CommandLineRequest<Command>? {
        var cluster = argument.dropFirst()
        while let name = cluster.popFirst() {
            guard let option = options.first(where: { $0.shortName == name }) else {
                if name == "h" { return .help }
                throw CommandLineError("unknown option '-\(name)'")
            }
            guard let valueName = option.valueName else {
                try Self.apply(option, "", spelled: "-\(name)", to: &command)
                continue
            }
            let value = try cluster.isEmpty
                ? Self.value(for: "-\(name)", valueName: valueName, from: &remaining) : String(cluster)
            try Self.apply(option, value, spelled: "-\(name)", to: &command)
            return nil
        }
        return nil
    }

    /// The value given after `=` (`attached`), else the next argument, whatever it looks like (`-i -`).
    private static func value(
        _ attached: String? = nil, for spelled: String, valueName: String, from remaining: inout ArraySlice<String>
    ) throws(CommandLineError) -> String {
        guard let value = attached ?? remaining.popFirst() else {
            throw CommandLineError("missing value for '\(spelled) <\(valueName)>'")
        }
        return value
    }

    /// A refused value names the option as the user typed it.
    private static func apply(
        _ option: CommandLineOption<Command>, _ value: String, spelled: String, to command: inout Command
    ) throws(CommandLineError) {
        do {
            try option.apply(&command, value)
        } catch {
            throw CommandLineError("\(spelled) \(error.message)")
        }
    }
}
