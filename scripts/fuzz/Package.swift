// swift-tools-version: 6.0
import PackageDescription

// The libFuzzer harness, kept out of the root package so that its normal
// `swift build` / `swift test` neither build nor wait for it. It depends on the
// root by path and reaches the parsers through StackBackupKit's `@_spi(Fuzzing)`
// entry points, which build in any configuration (`@testable import` would need
// -enable-testing in a release build). Build it only with `-sanitize=fuzzer`:
// libFuzzer provides `main`. `scripts/fuzz/run.sh` builds and runs it.
let package = Package(
    name: "stackbackup-fuzz",
    dependencies: [
        .package(name: "stackbackup", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "stackbackup-fuzz",
            dependencies: [.product(name: "StackBackupKit", package: "stackbackup")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
