import Foundation
@_spi(Fuzzing) import StackBackupKit

// One libFuzzer binary for every parser; STACKBACKUP_FUZZ_TARGET names the
// target (see `FuzzingEntryPoints.targets`). No main.swift: libFuzzer owns
// `main`, and globals here are initialised lazily, not by top-level code.

let target = ProcessInfo.processInfo.environment["STACKBACKUP_FUZZ_TARGET"] ?? ""

/// A parser may only answer damaged data with a one-line IntegrityError (or
/// a version it does not read); anything else is a finding, reported as a crash.
func check(_ error: Error) {
    let text = "\(error)"
    let acceptable: Bool
    switch error {
    case is IntegrityError: acceptable = true
    case let error as RepositoryError: acceptable = error.code == .unsupportedVersion
    default: acceptable = false
    }
    guard !acceptable || text.contains(where: \.isNewline) else { return }
    FileHandle.standardError.write(Data("\nFINDING (\(target)): \(acceptable ? "a multi-line message" : "\(type(of: error)) is not an IntegrityError"): \(text)\n".utf8))
    abort()
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let environment = ProcessInfo.processInfo.environment
    if let out = environment["STACKBACKUP_FUZZ_SEEDS"] {
        writeSeeds(to: out, repository: environment["STACKBACKUP_FUZZ_REPO"] ?? "", passphrase: environment["STACKBACKUP_FUZZ_PASSPHRASE"] ?? "")
        exit(0)
    }
    guard FuzzingEntryPoints.targets[target] != nil else {
        let names = FuzzingEntryPoints.targets.keys.sorted().joined(separator: ", ")
        FileHandle.standardError.write(Data("set STACKBACKUP_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(64)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzingEntryPoints.run(target, input, report: check)
    return 0
}

/// Seed mode: writes `<out>/<target>/<name>` for every seed of a repository.
func writeSeeds(to out: String, repository: String, passphrase: String) {
    do {
        for seed in try FuzzingEntryPoints.seeds(repository: repository, passphrase: Array(passphrase.utf8)) {
            let folder = URL(fileURLWithPath: out).appendingPathComponent(seed.target)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(seed.bytes).write(to: folder.appendingPathComponent(seed.name))
        }
    } catch {
        FileHandle.standardError.write(Data("cannot make seeds from \(repository): \(error)\n".utf8))
        exit(1)
    }
}
