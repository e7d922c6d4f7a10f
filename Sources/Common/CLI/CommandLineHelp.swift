extension CommandLineInterface {
    /// Help is wrapped to the width of a classic terminal, whatever the terminal (it is read in pipes too).
    private static var width: Int { 80 }
    /// The column where the help of each option starts.
    private static var helpColumn: Int { 26 }

    /// What `--help` prints: the abstract, the discussion, the examples, the usage (the manual page's SYNOPSIS),
    /// then every argument and option with its help and example. No final newline: it is written as one record.
    package var helpText: String {
        var lines = Self.wrap("OVERVIEW: " + abstract, indent: "")
        for paragraph in discussion { lines += [""] + Self.wrap(paragraph, indent: "") }
        if !examples.isEmpty {
            lines += ["", "Examples:"]
            for example in examples { lines += ["  " + example.command, "      " + example.meaning] }
        }
        lines.append("")
        for (index, line) in usage.enumerated() { lines.append((index == 0 ? "USAGE: " : "       ") + line) }
        if let positionals {
            lines += ["", "ARGUMENTS:"] + Self.entry(label: "<\(positionals.valueName)>", help: positionals.help)
        }
        lines += ["", "OPTIONS:"]
        for option in options {
            let value = option.valueName.map { " <\($0)>" } ?? ""
            lines += Self.entry(label: option.displayNames.joined(separator: ", ") + value, help: option.help)
        }
        lines += Self.entry(label: "--version", help: "Show the version.")
        lines += Self.entry(label: "-h, --help", help: "Show help information.")
        lines += ["", "Shell completions: \(toolName) --generate-completion-script bash|zsh|fish"]
        return lines.joined(separator: "\n")
    }

    /// `  label                   help`, the help wrapped in its column; on a line of its own when the label is long.
    private static func entry(label: String, help: String) -> [String] {
        let indent = String(repeating: " ", count: helpColumn)
        let head = "  " + label
        var lines = wrap(help, indent: indent)
        if head.count + 2 <= helpColumn {
            lines[0] = head + String(repeating: " ", count: helpColumn - head.count) + lines[0].dropFirst(helpColumn)
        } else {
            lines.insert(head, at: 0)
        }
        return lines
    }

    /// `text` broken at spaces into lines of at most `width` columns (a longer word stays whole), each after `indent`.
    private static func wrap(_ text: String, indent: String) -> [String] {
        var lines: [String] = []
        var line = indent
        for word in text.split(separator: " ") {
            if line.count > indent.count && line.count + 1 + word.count > width {
                lines.append(line)
                line = indent
            }
            line += (line.count > indent.count ? " " : "") + word
        }
        lines.append(line)
        return lines
    }
}
