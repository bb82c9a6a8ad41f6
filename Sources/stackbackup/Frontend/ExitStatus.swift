import ArgumentParser
import Foundation
import StackBackupKit

/// The exit codes, in one place. Scripts and systemd rely on them; they are
/// listed in the README and in every command's help.
enum ExitStatus: Int32 {
    case ok = 0
    case failure = 1
    case partial = 3
    case noRepository = 10
    case locked = 11
    case wrongPassphrase = 12
    case damaged = 13
    case usage = 64
    case interrupted = 130
    case terminated = 143

    static let table = """
    Exit codes: 0 ok, 1 error, 3 partial failure (some sources failed or entries skipped), 10 no repository,
    11 repository locked (or the lock was lost), 12 wrong passphrase, 13 integrity damage found,
    64 usage error, 130 interrupted (SIGINT), 143 terminated (SIGTERM).
    """

    /// Maps an error from the Kit to its exit status.
    static func of(_ error: Error) -> ExitStatus {
        switch error {
        case let error as RepositoryError:
            switch error.code {
            case .noRepository: return .noRepository
            case .locked: return .locked
            case .wrongPassphrase: return .wrongPassphrase
            case .invalidArgument: return .usage
            default: return .failure
            }
        case let error as InterruptedError:
            switch error.reason {
            case .signal(let number): return number == SIGTERM ? .terminated : .interrupted
            case .lockLost: return .locked
            }
        case is ServerSelectionError: return .usage
        case is IntegrityError: return .damaged
        case let error as RestoreError where error.code == .interrupted: return .interrupted
        case let error as RestoreError where error.code == .damaged: return .damaged
        default: return .failure
        }
    }
}

/// Runs a command body: Kit errors become one line on stderr and the mapped
/// exit code; ArgumentParser's own errors pass through.
func runCommand(_ console: Console, _ body: () throws -> ExitStatus) throws {
    StopSignal.install()
    let status: ExitStatus
    do {
        status = try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        console.error("\(error)")
        throw ExitCode(ExitStatus.of(error).rawValue)
    }
    if status != .ok { throw ExitCode(status.rawValue) }
}

extension ExitStatus {
    /// A batch command's exit: its stop is rethrown (printed, 130/143/11), a
    /// lone source's error decides (11 locked, not 1), else ok/partial/failure.
    static func of<Result>(_ batch: SourceBatch<Result>) throws -> ExitStatus {
        if let stop = batch.interruption { throw stop }
        if let error = batch.onlyFailure { throw ExitCode(of(error).rawValue) }
        return of(batch.outcome())
    }

    static func of(_ outcome: BatchOutcome) -> ExitStatus {
        switch outcome {
        case .ok: return .ok
        case .partial: return .partial
        case .failure: return .failure
        }
    }
}
