import Foundation
import StackBackupKit

/// The one place SIGINT and SIGTERM are caught. The first signal cancels
/// `token`, which every job of this process checks (the repository carries
/// it, see `GlobalOptions.openRepository`): the job stops at its next unit of
/// work, removes its lock and scratch data, and the command exits 130
/// (SIGINT) or 143 (SIGTERM). A second signal exits at once.
enum StopSignal {
    static let token = Cancellation()

    /// Installs the trap (idempotent; the trap lives as long as the process).
    static func install() {
        _ = trap
    }

    private static let trap = SignalTrap { number in
        let name = Cancellation.signalName(number)
        if token.isCancelled {
            FileHandle.standardError.write(Data("stackbackup: second \(name), exiting at once\n".utf8))
            exit(128 + number)
        }
        FileHandle.standardError.write(Data("stackbackup: \(name) received, stopping (send it again to exit at once)\n".utf8))
        token.cancel(.signal(number))
    }
}
