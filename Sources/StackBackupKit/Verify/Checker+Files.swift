extension Checker {
    /// Checks that every content-addressed file's SHA-256 equals its name.
    /// Needs no key, so it can run on an offsite copy or in CI.
    public static func checkFileNames(backend: Backend, progress: ((String) -> Void)? = nil) throws -> DamageReport {
        var report = DamageReport()
        for kind in FileKind.allCases where kind.isContentAddressed {
            let files = try backend.list(kind).sorted { $0.name < $1.name }
            progress?("checking \(files.count) \(kind.rawValue) file name(s)")
            for (name, _) in files {
                let handle = Handle(kind, name)
                report.filesChecked += 1
                var reason: String?
                if let expected = ObjectID(hex: name) {
                    do {
                        let bytes = try backend.load(handle)
                        report.bytesRead += Int64(bytes.count)
                        if SHA256.hash(bytes) != expected {
                            reason = "its SHA-256 does not match its name (bit rot or truncation)"
                        }
                    } catch {
                        reason = "cannot be read: \(error)"
                    }
                } else {
                    reason = "is not named by a SHA-256"
                }
                guard let reason else { continue }
                let file = DamageReport.DamagedFile(path: handle.relativePath, reason: reason)
                switch kind {
                case .pack: report.damagedPacks.append(file)
                case .index: report.damagedIndexSegments.append(file)
                case .snapshot: report.damagedSnapshots.append(file)
                default: report.damagedFiles.append(file)
                }
            }
        }
        return report
    }
}
