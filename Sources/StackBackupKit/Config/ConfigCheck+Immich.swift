import Foundation

extension ConfigCheck.Run {
    /// Immich refuses to start when a folder's `.immich` marker is missing: warn
    /// about every marker on disk that a backup of the volume would leave out.
    mutating func immichMarkers() {
        for volume in config.volumes where isFolder(volume.path) {
            guard let excludes = try? GlobSet(volume.exclude), !excludes.isEmpty,
                  let keeps = try? GlobSet(volume.keepPatterns) else { continue }
            for marker in markers(in: volume.path) where ConfigCheck.backupSkips(marker, excludes: excludes, keeps: keeps) {
                let key = config.lines["volumes.\(volume.name).exclude"] != nil ? "volumes.\(volume.name).exclude" : "volumes.\(volume.name)"
                let why = volume.app == .other ? "remove `app: none` or add" : "add"
                add(.warning, key,
                    "volume '\(volume.name)': Immich's marker \(marker) would not be backed up (an exclude covers it), and a restored Immich refuses to start without it; \(why) keep: [\"\(marker)\"]")
            }
        }
    }

    /// `.immich` files one or two folders below `root`, relative to it.
    func markers(in root: String) -> [String] {
        var found: [String] = []
        let top = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted()
        for first in top where isFolder(root + "/" + first) {
            if fm.fileExists(atPath: "\(root)/\(first)/.immich") { found.append("\(first)/.immich") }
            for second in ((try? fm.contentsOfDirectory(atPath: "\(root)/\(first)")) ?? []).sorted()
            where fm.fileExists(atPath: "\(root)/\(first)/\(second)/.immich") {
                found.append("\(first)/\(second)/.immich")
            }
        }
        return found
    }
}

extension ConfigCheck {
    /// Whether a backup leaves out the file at `relative` (no leading `/`):
    /// the walker's rule — an excluded entry, or one inside an excluded
    /// folder, is kept only when `keeps` names it; an excluded folder is
    /// entered only when a `keeps` pattern may name something inside it.
    static func backupSkips(_ relative: String, excludes: GlobSet, keeps: GlobSet) -> Bool {
        let parts = relative.split(separator: "/").map { Array($0.utf8) }
        var path: [UInt8] = []
        var inside = false
        for (index, part) in parts.enumerated() {
            path = path.isEmpty ? part : path + [0x2F] + part
            let isFolder = index < parts.count - 1
            if inside || excludes.matches(path, isDirectory: isFolder) {
                let kept = keeps.matches(path, isDirectory: isFolder) || (isFolder && keeps.mayMatchInside(path))
                if !kept { return true }
                inside = true
            }
        }
        return false
    }
}
