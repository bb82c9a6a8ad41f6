import Foundation

/// The app whose data a volume's folder holds, for what a restore of it needs
/// (`app:` of a volume; recognised when not set, see `VolumeSettings.recognisedApp`).
public enum VolumeApp: String, Sendable, Equatable, CaseIterable {
    /// Immich's UPLOAD_LOCATION. Each of its folders holds a `.immich` marker
    /// file, and Immich refuses to start when one is missing: the markers are
    /// always backed up, whatever `exclude:` says.
    case immich
    /// No app: nothing is recognised, only `keep:` is kept.
    case other = "none"

    /// Immich's folders under UPLOAD_LOCATION, each with its `.immich` marker.
    public static let immichFolders = ["upload", "library", "thumbs", "encoded-video", "profile", "backups"]
    public static let immichMarkers = immichFolders.map { "\($0)/.immich" }

    /// The globs of the app's files that a backup must keep.
    public var keepPatterns: [String] {
        switch self {
        case .immich: return Self.immichMarkers
        case .other: return []
        }
    }
}

extension VolumeSettings {
    /// `app:` when set; else Immich when the volume's name or path says
    /// "immich" or its folder holds one of Immich's markers; else none.
    public var recognisedApp: VolumeApp {
        if let app { return app }
        if name.lowercased().contains("immich") || path.lowercased().contains("immich") { return .immich }
        let fm = FileManager.default
        if VolumeApp.immichMarkers.contains(where: { fm.fileExists(atPath: (path as NSString).appendingPathComponent($0)) }) {
            return .immich
        }
        return .other
    }

    /// What the backup keeps despite `exclude:`: `keep:` and the app's markers.
    public var keepPatterns: [String] {
        let extra = recognisedApp.keepPatterns.filter { !keep.contains($0) }
        return keep + extra
    }
}
