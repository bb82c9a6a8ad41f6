import ArgumentParser
import StackBackupKit

@main
struct StackBackup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stackbackup",
        abstract: "Keeps a self-hosted stack recoverable: PostgreSQL dumps and volume snapshots in one encrypted, deduplicating repository.",
        discussion: """
        Typical use: `stackbackup init`, then `stackbackup backup volume` / `backup path DIR --name NAME`,
        `stackbackup snapshots`, `stackbackup restore SNAPSHOT --target DIR`, `stackbackup verify`.

        \(ExitStatus.table)
        """,
        version: StackBackupVersion.current,
        subcommands: [
            Init.self, Key.self, Backup.self, Snapshots.self, Ls.self, Diff.self, Restore.self,
            Verify.self, Forget.self, Prune.self, Run.self, Status.self, Unlock.self, ConfigCommand.self,
            Systemd.self, Db.self, Copy.self, Repair.self,
        ]
    )
}
