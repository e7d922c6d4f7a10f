import ConclaveCLI

/// The arguments that choose where a one-shot tool's link comes from (`LinkSource`): a link of its own (`-u`,
/// `--as`) or a running conclave-connect's socket.
package protocol LinkSourceArguments {
    var handle: String? { get set }
    var url: String? { get set }
    var socketPath: String? { get set }
}

/// A tool command whose arguments choose a link source.
package protocol LinkSourceCommand {
    associatedtype Arguments: LinkSourceArguments
    var arguments: Arguments { get set }
}

/// The declarations of `--as`, `-u` and `--socket`, one table for conclave-send and conclave-recv.
package enum LinkSourceOptions {
    /// `handleExample` is the tool's own example of a handle for `--as`.
    package static func options<Command: LinkSourceCommand>(for _: Command.Type, handleExample: String)
        -> [CommandLineOption<Command>] {
        [
            .option(long: "as", value: "handle",
                    help: "Handle of the tool's own link, default cli-PID (example: --as \(handleExample)).") {
                $0.arguments.handle = $1
            },
            .option(short: "u", long: "url", value: "url",
                    help: "Make a link of its own to this server (example: -u ws://127.0.0.1:4390).") {
                $0.arguments.url = $1
            },
            .option(long: "socket", value: "path",
                    help: "Use a running conclave-connect --socket instead (example: --socket /tmp/link.sock).",
                    completion: .file) { $0.arguments.socketPath = $1 },
        ]
    }
}
