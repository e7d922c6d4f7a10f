import ConclaveIdentity
import ConclaveWire

/// What `conclave-keygen` does (TOOLS.md "conclave-keygen"); its `main` only parses the command line into this.
package struct Keygen: Sendable {
    /// What happens to the key file.
    package enum KeyAction: Sendable, Hashable {
        /// Create the key if it is missing, otherwise use the existing one (the default).
        case createIfMissing
        /// Replace any existing key with a new one (`--force`).
        case replace
        /// Use the existing key only; no key is status 66 (`--print`).
        case useExisting
    }

    /// What is printed on stdout.
    package enum Output: Sendable, Hashable {
        /// The public key, one line of base64url.
        case publicKey
        /// The `machine_add` admin frame enrolling this key under the machine name (`--enroll NAME`).
        case enrollment(machineName: String)
    }

    package var keyFile: KeyFile
    package var keyAction: KeyAction
    package var output: Output

    package init(keyFile: KeyFile, keyAction: KeyAction, output: Output) {
        self.keyFile = keyFile
        self.keyAction = keyAction
        self.output = output
    }

    /// Whether `name` is a valid machine name for `--enroll`: non-empty and without `/` (§5.2).
    package static func isValidMachineName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/")
    }

    /// The `machine_add` admin frame that enrols `publicKey` as `machineName` (PROTOCOL.md §6.7).
    package static func enrollmentFrame(machineName: String, publicKey: PublicKey) -> ProtocolMessage {
        .admin(.machineAdd(name: machineName, pubkey: publicKey.bytes))
    }

    /// Applies the key action, then prints the chosen output as one record. Throws `KeyFileError` or
    /// `RecordWriterError`.
    package func run(records: RecordWriter, diagnostics: Diagnostics) throws {
        let seed = try obtainSeed(diagnostics: diagnostics)
        let publicKey = seed.signingKey().publicKey
        switch output {
        case .publicKey:
            try records.write(publicKey.text)
        case .enrollment(let machineName):
            try records.write(Self.enrollmentFrame(machineName: machineName, publicKey: publicKey).jsonLine())
        }
    }

    private func obtainSeed(diagnostics: Diagnostics) throws(KeyFileError) -> SecretSeed {
        switch keyAction {
        case .useExisting:
            return try keyFile.load()
        case .replace:
            let seed = SecretSeed.generate()
            try keyFile.replace(with: seed)
            diagnostics.report("wrote a new key to \(keyFile.path)")
            return seed
        case .createIfMissing:
            do {
                let seed = try keyFile.load()
                diagnostics.detail("using the existing key \(keyFile.path)")
                return seed
            } catch where error.code == .missing {
                let seed = SecretSeed.generate()
                do {
                    try keyFile.create(seed)
                } catch where error.code == .alreadyExists {
                    // Another process created it between our read and our create: theirs is the key.
                    return try keyFile.load()
                }
                diagnostics.report("created \(keyFile.path)")
                return seed
            }
        }
    }
}
