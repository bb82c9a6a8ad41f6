import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Asks for a passphrase on the controlling terminal without echo. Returns nil
/// when there is no terminal (systemd, CI, pipes): the caller then explains
/// which non-interactive sources exist.
enum TerminalPrompt {
    static func passphrase(_ prompt: String, confirm: Bool = false) throws -> [UInt8]? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0, isatty(fd) == 1 else { return nil }
        defer { close(fd) }
        let first = try read(fd, prompt)
        if confirm {
            let second = try read(fd, "Repeat the passphrase: ")
            guard first == second else { throw PromptError("the passphrases do not match; nothing was changed") }
        }
        guard !first.isEmpty else { throw PromptError("an empty passphrase is not allowed") }
        return first
    }

    private static func read(_ fd: Int32, _ prompt: String) throws -> [UInt8] {
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var saved = termios()
        tcgetattr(fd, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(fd, TCSAFLUSH, &silent)
        defer {
            tcsetattr(fd, TCSAFLUSH, &saved)
            _ = "\n".withCString { write(fd, $0, 1) }
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(fd, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
            bytes.append(byte)
        }
        return bytes
    }
}

struct PromptError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
