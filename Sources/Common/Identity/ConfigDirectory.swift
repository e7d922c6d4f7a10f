#if canImport(Glibc)
internal import Glibc
#endif
import ConclavePOSIX

/// The directory holding `key` and `config.toml` (TOOLS.md "Where things are", PROTOCOL.md §8.1).
package struct ConfigDirectory: Hashable, Sendable, CustomStringConvertible {
    /// Which rule chose the directory, for `-v` output.
    package enum Source: String, Hashable, Sendable {
        case flag = "--config-dir"
        case conclaveVariable = "$CONCLAVE_CONFIG_DIR"
        case xdgConfigHome = "$XDG_CONFIG_HOME"
        case home = "$HOME"
        case passwordDatabase = "the password database"
        /// Given directly by the program.
        case explicit = "the caller"
    }

    package let path: String
    package let source: Source

    package init(path: String, source: Source = .explicit) {
        self.path = path
        self.source = source
    }

    /// The key file, `<dir>/key` (§8.2).
    package var keyFilePath: String { FilePaths.join(path, "key") }
    /// The configuration, `<dir>/config.toml` (§8.4).
    package var configFilePath: String { FilePaths.join(path, "config.toml") }

    package var description: String { path }

    /// `--config-dir DIR` > `$CONCLAVE_CONFIG_DIR` > `$XDG_CONFIG_HOME/conclave` > `~/.config/conclave`.
    ///
    /// Empty variables count as unset, and a relative `$XDG_CONFIG_HOME` is ignored, as the XDG base directory
    /// specification and upstream's `dirs` crate do. The home directory is `$HOME`, else `homeFromPasswordDatabase`
    /// (the `getpwuid` entry), which tests replace.
    package static func resolve(
        flag: String?,
        environment: [String: String],
        homeFromPasswordDatabase: () -> String? = passwordDatabaseHome
    ) throws(ConfigDirectoryError) -> ConfigDirectory {
        if let flag, !flag.isEmpty { return ConfigDirectory(path: flag, source: .flag) }
        if let explicit = environment["CONCLAVE_CONFIG_DIR"], !explicit.isEmpty {
            return ConfigDirectory(path: explicit, source: .conclaveVariable)
        }
        if let base = environment["XDG_CONFIG_HOME"], base.hasPrefix("/") {
            return ConfigDirectory(path: FilePaths.join(base, "conclave"), source: .xdgConfigHome)
        }
        let (home, source): (String?, Source) = if let home = environment["HOME"], !home.isEmpty {
            (home, .home)
        } else {
            (homeFromPasswordDatabase(), .passwordDatabase)
        }
        guard let home, !home.isEmpty else { throw ConfigDirectoryError() }
        return ConfigDirectory(path: FilePaths.join(FilePaths.join(home, ".config"), "conclave"), source: source)
    }

    /// The home directory of the real user from the password database.
    package static func passwordDatabaseHome() -> String? {
        guard let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir else { return nil }
        return String(cString: directory)
    }
}

/// No config directory could be found: no flag, no variables, and no home directory.
package struct ConfigDirectoryError: Error, CustomStringConvertible, Hashable {
    package var description: String {
        "cannot find the config directory: $HOME is unset and the user has no home directory; use --config-dir"
    }
}
