extension Checker {
    /// Checks that every content-addressed file's SHA-256 equals its name.
    /// Needs no key, so it can run on an offsite copy or in CI.
    /// A location without a config file is no repository (a mistyped path must
    /// not pass as "no damage"): throws `RepositoryError(.noRepository)`.
    public static func checkFileNames(backend: Backend, progress: ((String) -> Void)? = nil) throws -> DamageReport {
        guard try backend.exists(Handle(.config, "config")) else {
            throw RepositoryError(.noRepository, "there is no repository at \(backend.location) (no config file); check the path")
        }
        var report = DamageReport()
        // Pack lists of the index segments (readable without the key), to find missing packs.
        var listings: [ObjectID: (packs: [(id: ObjectID, size: Int)], supersedes: [ObjectID])] = [:]
        var packSizes: [String: Int] = [:]
        for kind in FileKind.allCases where kind.isContentAddressed {
            let files = try backend.list(kind).sorted { $0.name < $1.name }
            progress?("checking \(files.count) \(kind.rawValue) file name(s)")
            for (name, size) in files {
                let handle = Handle(kind, name)
                if kind == .pack { packSizes[name] = size }
                report.filesChecked += 1
                var reason: String?
                if let expected = ObjectID(hex: name) {
                    do {
                        let bytes = try backend.load(handle)
                        report.bytesRead += Int64(bytes.count)
                        if SHA256.hash(bytes) != expected {
                            reason = "its SHA-256 does not match its name (bit rot or truncation)"
                        } else if kind == .index, let listing = try? IndexSegment.keylessListing(of: bytes, object: handle.relativePath) {
                            listings[expected] = listing
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
        // Every pack a current (not superseded) segment lists must exist with its size.
        let superseded = Set(listings.values.flatMap(\.supersedes))
        for (segment, listing) in listings.sorted(by: { $0.key < $1.key }) where !superseded.contains(segment) {
            for pack in listing.packs {
                let path = Handle(.pack, pack.id).relativePath
                guard let size = packSizes[pack.id.hex] else {
                    report.damagedPacks.append(.init(path: path, reason: "is missing (listed by index segment \(segment.short))"))
                    continue
                }
                if size != pack.size && !report.damagedPacks.contains(where: { $0.path == path }) {
                    report.damagedPacks.append(.init(path: path, reason: "has \(size) bytes, index segment \(segment.short) says \(pack.size)"))
                }
            }
        }
        return report
    }
}
