import ConclaveCLI
import ConclaveIdentity
import ConclavePOSIX

/// The command line of `conclave-keygen`; the work is `Keygen` in Common.
struct KeygenCommand: CommonOptionsCommand {
    var common = CommonOptions()
    var force = false
    var print = false
    var enroll: String?

    static var interface: CommandLineInterface<Self> {
        CommandLineInterface(
            toolName: "conclave-keygen",
            abstract: "Make or show this machine's Ed25519 identity for conclave.",
            // The synopsis of conclave-keygen(1), which shows which flags exclude each other.
            usage: [
                "conclave-keygen [-q | -v] [--config-dir dir] [--force | --print] [--enroll name]",
                "conclave-keygen --version | --help",
            ],
            discussion: [
                "Creates <config-dir>/key (mode 0600) if it is missing, then prints the public key as one line of "
                    + "base64url. An existing key is never overwritten without --force.",
            ],
            examples: [
                .init("conclave-keygen", "Create the key if needed, print the public key."),
                .init("conclave-keygen --print", "Print the public key; status 66 if there is none."),
                .init("conclave-keygen --force", "Replace the key with a new one."),
                .init("conclave-keygen --config-dir /tmp/alice -q",
                      "Use another config directory, without diagnostics."),
                .init("ssh laptop conclave-keygen --enroll laptop | conclave-send --json",
                      #"Enrol the machine "laptop" from a machine already enrolled."#),
            ],
            options: CommonOptions.options(for: Self.self) + [
                .flag(long: "force", help: "Replace an existing key with a new one (example: --force).") {
                    $0.force = $1
                },
                .flag(long: "print", help: "Only print the public key; never create one (example: --print).") {
                    $0.print = $1
                },
                .option(long: "enroll", value: "name",
                        help: "Print the machine_add admin frame enrolling this key as NAME, as one NDJSON line "
                            + "(example: --enroll laptop).") { $0.enroll = $1 },
            ],
            validate: { command throws(CommandLineError) in
                try command.common.validate()
                if command.force && command.print { throw CommandLineError("--force and --print cannot be combined") }
                if let enroll = command.enroll, !Keygen.isValidMachineName(enroll) {
                    throw CommandLineError("--enroll needs a machine name that is not empty and has no '/'")
                }
            })
    }
}

ToolMain.prepareProcess()
let command = ToolMain.parse(KeygenCommand.interface, into: KeygenCommand())
let diagnostics = command.common.diagnostics(toolName: "conclave-keygen")
ToolMain.run(diagnostics: diagnostics) {
    let directory = try command.common.configDirectory(environment: ProcessEnvironment.current())
    diagnostics.detail("config directory \(directory.path) (from \(directory.source.rawValue))")
    let keygen = Keygen(
        keyFile: KeyFile(directory: directory),
        keyAction: command.force ? .replace : command.print ? .useExisting : .createIfMissing,
        output: command.enroll.map { .enrollment(machineName: $0) } ?? .publicKey)
    try keygen.run(records: RecordWriter(), diagnostics: diagnostics)
}
