// config.toml (PROTOCOL.md §8.4): the TOML reader, the config schema over it, and the in-place editor
// (ConfigDocument, internal to ConclaveIdentity: this entry is compiled into that module, scripts/fuzz.sh). Any
// bytes either read or throw; a config written out reads back as itself; an edit of the user's file reads back as
// exactly the config asked for.
private let path = "/fuzz/config.toml"

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTOML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    guard (try? TOMLReader.parse(bytes)) != nil, let old = try? ConclaveConfig(toml: bytes, path: path) else {
        return 0
    }
    checkReadsBack(Array(old.tomlText.utf8), as: old, "the written-out config")
    for (name, change) in changes {
        var new = old
        change(&new)
        do {
            let edited = try ConfigDocument.edit(bytes, from: old, to: new, path: path)
            checkReadsBack(edited, as: new, "the file after \(name)")
        } catch {
            fuzzCheck(false, "\(name): a file that reads cannot be edited: \(error)")
        }
    }
    return 0
}

/// What the tools do to a config (`conclave-keygen --register`, removal, permission changes), with values that
/// need quoting.
private let changes: [(String, @Sendable (inout ConclaveConfig) -> Void)] = [
    ("a new default permission", { config in
        let levels = PermissionLevel.allCases
        config.defaultPermission = levels[(levels.firstIndex(of: config.defaultPermission)! + 1) % levels.count]
    }),
    ("a new server", { $0.register(url: "wss://fuzz.example/\"q\"\\\n\u{7F}é", username: "u", machine: "m") }),
    ("a renamed registration", { config in
        guard let first = config.servers.first else { return }
        config.register(url: first.url, username: first.username + "-renamed", machine: "m'\"")
    }),
    ("a removed server", { config in
        guard let first = config.servers.first else { return }
        config.removeServer(url: first.url)
    }),
    ("a new override", { config in
        let server = config.servers.first?.url ?? "wss://fuzz.example"
        config.overrides.append(PermissionOverride(server: server, channel: "ops\t#1", level: .act))
    }),
    ("overrides cleared", { $0.overrides = [] }),
    ("servers cleared", { $0.servers = [] }),
]

private func checkReadsBack(_ bytes: [UInt8], as expected: ConclaveConfig, _ what: String) {
    do {
        let read = try ConclaveConfig(toml: bytes, path: path)
        let text = String(decoding: bytes, as: UTF8.self)
        fuzzCheck(read == expected, "\(what) reads as \(read), not \(expected):\n\(text)")
    } catch {
        fuzzCheck(false, "\(what) does not read: \(error)\n\(String(decoding: bytes, as: UTF8.self))")
    }
}
