import Foundation

/// Where the repository passphrase comes from, in order of precedence:
/// `--password-file`, `$STACKBACKUP_PASSWORD_FILE`, the systemd credential
/// `$CREDENTIALS_DIRECTORY/stackbackup-passphrase`, `$STACKBACKUP_PASSWORD`,
/// the config's `password_file`, and last a no-echo prompt on a terminal.
public enum Passphrase {
    public static let credentialName = "stackbackup-passphrase"

    public struct Resolved {
        public let bytes: [UInt8]
        /// Where it came from, for `--verbose` (never the passphrase itself).
        public let source: String
    }

    public static func resolve(flagFile: String?, configFile: String?, environment: [String: String],
                               prompt: (() throws -> [UInt8]?)?) throws -> Resolved {
        if let flagFile { return Resolved(bytes: try read(flagFile, from: "--password-file"), source: "--password-file \(flagFile)") }
        if let file = environment["STACKBACKUP_PASSWORD_FILE"], !file.isEmpty {
            return Resolved(bytes: try read(file, from: "STACKBACKUP_PASSWORD_FILE"), source: "STACKBACKUP_PASSWORD_FILE")
        }
        if let dir = environment["CREDENTIALS_DIRECTORY"], !dir.isEmpty,
           FileManager.default.fileExists(atPath: dir + "/" + credentialName) {
            return Resolved(bytes: try read(dir + "/" + credentialName, from: "the systemd credential"), source: "systemd credential")
        }
        if let text = environment["STACKBACKUP_PASSWORD"], !text.isEmpty {
            return Resolved(bytes: Array(text.utf8), source: "STACKBACKUP_PASSWORD")
        }
        if let configFile { return Resolved(bytes: try read(configFile, from: "the config's password_file"), source: "password_file \(configFile)") }
        if let prompt, let bytes = try prompt() {
            return Resolved(bytes: bytes, source: "terminal")
        }
        throw RepositoryError(.invalidArgument, "no repository passphrase: give --password-file FILE, set STACKBACKUP_PASSWORD_FILE or STACKBACKUP_PASSWORD, or run on a terminal to be asked")
    }

    /// Reads a passphrase file; one trailing newline is not part of it.
    public static func read(_ path: String, from source: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RepositoryError(.invalidArgument, "cannot read the passphrase file \(path) (from \(source)); check the path and its permissions")
        }
        var bytes = [UInt8](data)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw RepositoryError(.invalidArgument, "the passphrase file \(path) (from \(source)) is empty; write the passphrase into it")
        }
        return bytes
    }
}
