// Core: identifiers, value types of the repository format, and small capability
// protocols shared by every other folder. Nothing here touches C or the disk.

/// The tool's version, recorded in every snapshot.
public enum StackBackupVersion {
    public static let current = "0.1.0"
}
