import Foundation
import StackBackupKit
import StackBackupTestSupport
import Testing

/// Immich refuses to start when the `.immich` marker of one of its folders is
/// missing. The shipped example excludes thumbs, encoded-video and backups:
/// a backup of it must still keep every marker (issue 14 item 16).
@Suite struct ImmichMarkerTests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// An UPLOAD_LOCATION as Immich lays it out: every folder with its marker and a file.
    func immichTree(at root: String) throws {
        for folder in VolumeApp.immichFolders {
            try FileManager.default.createDirectory(atPath: "\(root)/\(folder)/admin", withIntermediateDirectories: true)
            try Data().write(to: URL(fileURLWithPath: "\(root)/\(folder)/.immich"))
            try FileTree.writeRandom("\(root)/\(folder)/admin/\(folder).bin", count: 8 << 10, seed: UInt64(folder.count))
        }
    }

    /// A config whose one volume is the example's `immich-media` at `path`, with `extra` lines for the volume.
    func writeConfig(_ fixture: CLIRepository, path: String, extra: String = "") throws -> (file: String, volume: VolumeSettings) {
        let example = try StackConfig.load(path: Self.repoRoot + "/policies/stack.example.yml")
        let volume = try #require(example.volume(named: "immich-media"))
        let excludes = volume.exclude.map { "\"\($0)\"" }.joined(separator: ", ")
        let file = try fixture.directory.write("config.yml", """
        repository: \(fixture.repo)
        password_file: \(fixture.passwordFile)
        status_file: \(fixture.directory.sub("status.json"))
        volumes:
          immich-media:
            path: \(path)
            exclude: [\(excludes)]
        \(extra)
        """)
        return (file, volume)
    }

    @Test func theExamplesImmichVolumeRestoresWithEveryMarker() throws {
        let fixture = try CLIRepository("stackbackup-immich")
        let source = fixture.directory.sub("upload")
        try immichTree(at: source)
        let (config, example) = try writeConfig(fixture, path: source)
        #expect(Set(example.exclude).isSuperset(of: ["thumbs/**", "encoded-video/**", "backups/**"]), "the example changed: \(example.exclude)")

        let check = try fixture.runner.run(["config", "check", "--config", config, "--no-connect"])
        #expect(check.status == 0 && !check.stdout.contains(".immich"), "\(check)")
        #expect(try fixture.runner.run(["backup", "volume", "immich-media", "--config", config]).status == 0)
        let target = fixture.directory.sub("restored")
        let restore = try fixture.runner.run(["restore", "immich-media:latest", "--target", target, "--config", config])
        #expect(restore.status == 0, "\(restore)")

        for folder in VolumeApp.immichFolders {
            #expect(FileManager.default.fileExists(atPath: "\(target)/\(folder)/.immich"), "\(folder)/.immich is missing")
        }
        // The excludes still hold for everything else.
        for folder in ["thumbs", "encoded-video", "backups"] {
            #expect(!FileManager.default.fileExists(atPath: "\(target)/\(folder)/admin"), "\(folder)/admin was restored")
        }
        for folder in ["upload", "library", "profile"] {
            #expect(FileManager.default.fileExists(atPath: "\(target)/\(folder)/admin/\(folder).bin"))
        }

        // The nightly `run` keeps them too.
        try FileTree.writeRandom(source + "/library/admin/new.bin", count: 4 << 10, seed: 77)
        let run = try fixture.runner.run(["run", "--config", config])
        #expect(run.status == 0, "\(run)")
        let nightly = fixture.directory.sub("restored-nightly")
        #expect(try fixture.runner.run(["restore", "immich-media:latest", "--target", nightly, "--config", config]).status == 0)
        #expect(FileManager.default.fileExists(atPath: nightly + "/library/admin/new.bin"), "not the run's snapshot")
        for folder in VolumeApp.immichFolders {
            #expect(FileManager.default.fileExists(atPath: "\(nightly)/\(folder)/.immich"), "run: \(folder)/.immich is missing")
        }
    }

    @Test func withAppNoneTheMarkersAreLostAndConfigCheckSaysSo() throws {
        let fixture = try CLIRepository("stackbackup-immich")
        let source = fixture.directory.sub("photos")
        try immichTree(at: source)
        let (config, _) = try writeConfig(fixture, path: source, extra: "    app: none")
        let check = try fixture.runner.run(["config", "check", "--config", config, "--no-connect"])
        #expect(check.status == 0, "warnings only: \(check)")
        for marker in ["thumbs/.immich", "encoded-video/.immich", "backups/.immich"] {
            #expect(check.stdout.contains("warning: volume 'immich-media': Immich's marker \(marker) would not be backed up"), "\(marker): \(check)")
            #expect(check.stdout.contains("keep: [\"\(marker)\"]"), "\(check)")
        }
        #expect(!check.stdout.contains("library/.immich"), "\(check)")

        #expect(try fixture.runner.run(["backup", "volume", "immich-media", "--config", config]).status == 0)
        let target = fixture.directory.sub("restored")
        #expect(try fixture.runner.run(["restore", "immich-media:latest", "--target", target, "--config", config]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(target)/thumbs/.immich"), "nothing kept it")

        // The hint, followed as printed, keeps the marker.
        let (kept, _) = try writeConfig(fixture, path: source, extra: "    app: none\n    keep: [\"thumbs/.immich\"]")
        let again = try fixture.runner.run(["config", "check", "--config", kept, "--no-connect"])
        #expect(!again.stdout.contains("thumbs/.immich"), "\(again)")
        #expect(try fixture.runner.run(["backup", "volume", "immich-media", "--config", kept]).status == 0)
        let second = fixture.directory.sub("restored-kept")
        #expect(try fixture.runner.run(["restore", "immich-media:latest", "--target", second, "--config", kept]).status == 0)
        #expect(FileManager.default.fileExists(atPath: "\(second)/thumbs/.immich"))
        #expect(!FileManager.default.fileExists(atPath: "\(second)/encoded-video/.immich"))
    }

    @Test func backupPathKeepsWhatKeepNamesAndAnImmichFoldersMarkers() throws {
        let fixture = try CLIRepository("stackbackup-immich")
        let source = fixture.directory.sub("anywhere")
        try immichTree(at: source)
        try fixture.directory.write("anywhere/cache/keep-me.txt", "x")
        try fixture.directory.write("anywhere/cache/drop-me.txt", "y")
        let backup = try fixture.run(["backup", "path", source, "--name", "media", "--exclude", "thumbs/**", "--exclude", "cache",
                                      "--keep", "cache/keep-me.txt"])
        #expect(backup.status == 0, "\(backup)")
        let target = fixture.directory.sub("out")
        #expect(try fixture.run(["restore", "media:latest", "--target", target]).status == 0)
        #expect(FileManager.default.fileExists(atPath: "\(target)/thumbs/.immich"), "recognised by its markers")
        #expect(!FileManager.default.fileExists(atPath: "\(target)/thumbs/admin"))
        #expect(FileManager.default.fileExists(atPath: "\(target)/cache/keep-me.txt"))
        #expect(!FileManager.default.fileExists(atPath: "\(target)/cache/drop-me.txt"))
    }
}
