/// A shell `--generate-completion-script` writes a script for.
package enum CompletionShell: String, CaseIterable, Sendable {
    case bash, zsh, fish
}

extension CommandLineInterface {
    /// The completion script for `shell`, generated from the option table: every option with its description (the
    /// help without its example) and what completes its value; no final newline, like `helpText`. Install it as the
    /// shell expects: `conclave-send --generate-completion-script bash > /etc/bash_completion.d/conclave-send`.
    package func completionScript(for shell: CompletionShell) -> String {
        switch shell {
        case .bash: bashScript
        case .zsh: zshScript
        case .fish: fishScript
        }
    }

    /// The options a script offers: the tool's own, then those every tool answers.
    private var completedOptions: [CommandLineOption<Command>] {
        options + [
            .init(shortName: nil, longName: "version", valueName: nil, help: "Show the version.", isRepeatable: false,
                  completion: .none) { _, _ in },
            .init(shortName: "h", longName: "help", valueName: nil, help: "Show help information.",
                  isRepeatable: false, completion: .none) { _, _ in },
            .init(shortName: nil, longName: "generate-completion-script", valueName: "shell",
                  help: "Print a completion script.", isRepeatable: false,
                  completion: .words(CompletionShell.allCases.map(\.rawValue))) { _, _ in },
        ]
    }

    /// The name of the script's function: `_conclave_send`.
    private var functionName: String { "_" + toolName.map { $0.isLetter || $0.isNumber ? $0 : "_" } }

    private static func description(_ option: CommandLineOption<Command>) -> String {
        let help = option.help
        guard let example = help.firstRange(of: " (example:") else { return help }
        return String(help[..<example.lowerBound]) + "."
    }

    private var bashScript: String {
        var cases: [String] = []
        for option in completedOptions where option.valueName != nil {
            let reply = switch option.completion {
            case .none: ""
            case .file: #"compopt -o filenames; COMPREPLY=($(compgen -f -- "$cur")); "#
            case .directory: #"compopt -o filenames; COMPREPLY=($(compgen -d -- "$cur")); "#
            case .words(let words): #"COMPREPLY=($(compgen -W '\#(words.joined(separator: " "))' -- "$cur")); "#
            }
            cases.append("        \(option.displayNames.joined(separator: "|"))) \(reply)return ;;")
        }
        let names = completedOptions.flatMap(\.displayNames).joined(separator: " ")
        return """
            # bash completion for \(toolName): \(toolName) --generate-completion-script bash
            \(functionName)() {
                local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
                case $prev in
            \(cases.joined(separator: "\n"))
                esac
                if [[ $cur == -* ]]; then
                    COMPREPLY=($(compgen -W '\(names)' -- "$cur"))
                fi
            }
            complete -F \(functionName) \(toolName)
            """
    }

    private var zshScript: String {
        var specs: [String] = []
        for option in completedOptions {
            let description = "[" + Self.zshQuoted(Self.description(option)) + "]"
            var action = ""
            if let valueName = option.valueName {
                switch option.completion {
                case .none: action = ":\(valueName): "
                case .file: action = ":\(valueName):_files"
                case .directory: action = ":\(valueName):_files -/"
                case .words(let words): action = ":\(valueName):(\(words.joined(separator: " ")))"
                }
            }
            let repeated = option.isRepeatable ? "*" : ""
            let names = option.displayNames
            if names.count == 1 {
                specs.append("'\(repeated)\(names[0])\(description)\(action)'")
            } else {
                let exclusion = option.isRepeatable ? "*" : "(\(names.joined(separator: " ")))"
                specs.append("'\(exclusion)'{\(names.joined(separator: ","))}'\(description)\(action)'")
            }
        }
        if let positionals { specs.append("'*:\(positionals.valueName): '") }
        return """
            #compdef \(toolName)
            # zsh completion for \(toolName): \(toolName) --generate-completion-script zsh
            \(functionName)() {
                _arguments -s -S \\
                    \(specs.joined(separator: " \\\n        "))
            }
            \(functionName) "$@"
            """
    }

    /// Text inside a single-quoted `_arguments` description: brackets and backslashes escaped, quotes closed.
    private static func zshQuoted(_ text: String) -> String {
        var quoted = ""
        for character in text {
            switch character {
            case "'": quoted += #"'\''"#
            case "[", "]", "\\", ":": quoted += "\\" + String(character)
            default: quoted.append(character)
            }
        }
        return quoted
    }

    private var fishScript: String {
        var lines = [
            "# fish completion for \(toolName): \(toolName) --generate-completion-script fish",
            // Positional arguments are channels and message words, never files.
            "complete -c \(toolName) -f",
        ]
        for option in completedOptions {
            var line = "complete -c \(toolName)"
            if let short = option.shortName { line += " -s \(short)" }
            if let long = option.longName { line += " -l \(long)" }
            if option.valueName != nil {
                switch option.completion {
                case .none: line += " -x"
                case .file, .directory: line += " -r -F"
                case .words(let words): line += " -x -a '\(words.joined(separator: " "))'"
                }
            }
            lines.append(line + " -d " + Self.fishQuoted(Self.description(option)))
        }
        return lines.joined(separator: "\n")
    }

    /// A single-quoted fish word: quotes and backslashes escaped.
    private static func fishQuoted(_ text: String) -> String {
        "'" + text.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
    }
}
