// swift-tools-version: 6.0
import PackageDescription

// System libraries are reached through pkg-config; `scripts/install-deps.sh`
// installs the Debian packages named in each `.apt` provider.
let package = Package(
    name: "stackbackup",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "stackbackup", targets: ["stackbackup"]),
        .library(name: "StackBackupKit", targets: ["StackBackupKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "StackBackupKit",
            dependencies: [
                "CLibPQ", "CZstd", "COpenSSL", "CSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: kitSettings
        ),
        .target(
            name: "StackBackupTestSupport",
            dependencies: ["StackBackupKit"],
            swiftSettings: kitSettings
        ),
        .executableTarget(
            name: "stackbackup",
            dependencies: [
                "StackBackupKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: kitSettings
        ),
        .testTarget(
            name: "StackBackupKitTests",
            // COpenSSL: the restic cross-check writes restic's own snapshot format.
            dependencies: ["StackBackupKit", "StackBackupTestSupport", "COpenSSL"],
            swiftSettings: kitSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["StackBackupKit", "StackBackupTestSupport"],
            swiftSettings: kitSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["StackBackupKit", "StackBackupTestSupport"],
            swiftSettings: kitSettings
        ),
    ],
    swiftLanguageModes: [.v5]
)

// `internal import` of the C modules keeps C types out of the Kit's public API.
var kitSettings: [SwiftSetting] { [] }
