import Foundation

/// The systemd units that run stackbackup nightly and verify it weekly,
/// rendered with this machine's paths. `stackbackup systemd install` writes
/// them; scripts/systemd/ holds the same units rendered with defaults.
public struct SystemdUnits: Sendable {
    public var binary: String
    public var configPath: String
    /// Folders the service must be able to write (the repository, state).
    public var writablePaths: [String]
    /// Where the passphrase is loaded from with LoadCredential= (never in the unit itself).
    public var passphraseFile: String
    public var onCalendar = "*-*-* 03:15:00"
    public var verifyOnCalendar = "Sun *-*-* 05:30:00"

    public init(binary: String, configPath: String, writablePaths: [String], passphraseFile: String) {
        self.binary = binary
        self.configPath = configPath
        self.writablePaths = writablePaths
        self.passphraseFile = passphraseFile
    }

    /// File name → content.
    public var files: [(name: String, content: String)] {
        [
            ("stackbackup.service", service(description: "stackbackup nightly backup of the stack", arguments: "run")),
            ("stackbackup.timer", timer(description: "Nightly stackbackup run", calendar: onCalendar, delay: "30min")),
            // Structure only: the nightly run already reads a different seventh of the
            // packs each night (`auto`), and a fixed slice weekly would re-read the same one.
            ("stackbackup-verify.service", service(description: "stackbackup weekly integrity check", arguments: "verify")),
            ("stackbackup-verify.timer", timer(description: "Weekly stackbackup verify", calendar: verifyOnCalendar, delay: "1h")),
        ]
    }

    func service(description: String, arguments: String) -> String {
        let writable = Set(writablePaths + ["/var/lib/stackbackup"]).sorted().joined(separator: " ")
        return """
        [Unit]
        Description=\(description)
        Wants=network-online.target
        After=network-online.target postgresql.service docker.service

        [Service]
        Type=oneshot
        ExecStart=\(binary) \(arguments) --config \(configPath)
        Environment=STACKBACKUP_CONFIG=\(configPath)
        # The passphrase reaches the process as $CREDENTIALS_DIRECTORY/stackbackup-passphrase.
        LoadCredential=stackbackup-passphrase:\(passphraseFile)
        StateDirectory=stackbackup
        # Background priority: the stack keeps serving while the backup runs.
        Nice=10
        CPUSchedulingPolicy=batch
        IOSchedulingClass=idle
        # Sandboxing: read everything (the volumes), write only the repository and state.
        ProtectSystem=strict
        ReadWritePaths=\(writable)
        PrivateTmp=true
        ProtectHome=read-only
        NoNewPrivileges=true
        ProtectKernelTunables=true
        ProtectKernelModules=true
        ProtectControlGroups=true
        RestrictSUIDSGID=true
        LockPersonality=true
        RestrictRealtime=true
        SystemCallArchitectures=native
        # Exit code 3 (partial: some sources failed) still marks the unit failed, so it is noticed.
        TimeoutStartSec=12h

        """
    }

    func timer(description: String, calendar: String, delay: String) -> String {
        """
        [Unit]
        Description=\(description)

        [Timer]
        OnCalendar=\(calendar)
        RandomizedDelaySec=\(delay)
        Persistent=true

        [Install]
        WantedBy=timers.target

        """
    }
}
