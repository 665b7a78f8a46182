// swift-tools-version:6.2
// Larder: an embedded feature store for Swift over one SQLite file.

import PackageDescription
import class Foundation.ProcessInfo

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    // No warnings: every one of our targets fails to build on one.
    .treatAllWarnings(as: .error),
]

/// How a release `larder` is laid out so that a short command's start-up reads little of it
/// (docs/benchmarks.md, "A cold process: the start-up laid out together"). lld with
/// `Sources/larder/startup.order` puts the code and read-only data that `list`, `describe`,
/// `runs`, `versions`, `online` and `--help` touch first in their sections, and
/// `Sources/larder/startup.ld` moves the unwind tables past the code; both are written by
/// `Benchmarks/startup/startup_order.py`. Relative relocations packed (`DT_RELR`, glibc 2.36 or
/// later) leave the loader 20 KB to read instead of 3 MB; `-z now` binds every import at start,
/// which moves `.got.plt` among the data the loader writes anyway.
let startupLayout: [String] = [
    "-use-ld=lld",
    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
    "-Xlinker", "-z", "-Xlinker", "now",
    "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/larder/startup.order",
    "-Xlinker", "--no-warn-symbol-ordering",
    "-Xlinker", "\(Context.packageDirectory)/Sources/larder/startup.ld",
]

var package = Package(
    name: "larder",
    products: [
        .library(name: "Larder", targets: ["Larder"]),
        .library(name: "LarderServer", targets: ["LarderServer"]),
        // The PostgreSQL storage engine (issue 15), apart so the embedded library never links NIO.
        .library(name: "LarderPostgres", targets: ["LarderPostgres"]),
        .executable(name: "larder", targets: ["larder"]),
        // The C ABI (Sources/CLarder/include/larder.h) that the Python package loads.
        .library(name: "LarderC", type: .dynamic, targets: ["LarderC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLarderSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "CLarderSupport"),
        .target(
            name: "LarderMigrations",
            path: "migrations",
            exclude: ["README.md"],
            resources: [
                // PostgreSQL's own numbered files (the LarderPostgres engine).
                .embedInCode("postgres/pg0001_init.sql"),
                .embedInCode("postgres/pg0002_newest_event_time.sql"),
                .embedInCode("m0001_init.sql"),
                .embedInCode("m0002_view_version_numbers.sql"),
                .embedInCode("m0003_run_statistics.sql"),
                .embedInCode("m0004_backfill_ledger.sql"),
                .embedInCode("m0005_newest_event_time.sql"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Larder",
            dependencies: [
                "CLarderSQLite",
                "CLarderSupport",
                "LarderMigrations",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The feature server's routes (HTTP ↔ the Larder library), mountable in any Hummingbird app.
        .target(
            name: "LarderServer",
            dependencies: [
                "Larder",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL engine: the storage protocols over postgres-nio; its migrations in migrations/postgres/.
        .target(
            name: "LarderPostgres",
            dependencies: [
                "Larder",
                "LarderMigrations",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "larder",
            dependencies: [
                "Larder",
                "LarderServer",
                "LarderPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Linker inputs, not sources (the layout below).
            exclude: ["startup.order", "startup.ld"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))],
            // The Swift runtime and Foundation linked into the executable: a process then maps one
            // file instead of loading and binding a dozen shared libraries, which is most of a short
            // command's time (`larder --help` cold 116 → 61 ms; docs/benchmarks.md, "A cold process").
            // Release builds only: a debug build keeps every object of the static Foundation, which
            // then needs CoreFoundation's symbols that a release build's dead-code stripping drops.
            // `--no-export-dynamic` undoes the `-export-dynamic` that `-static-stdlib` brings: nothing
            // loads code that binds to the executable's symbols, and without 42,000 of them in its
            // dynamic symbol table the loader reads 4 MB less at start-up.
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--no-export-dynamic"] + startupLayout,
                                          .when(platforms: [.linux], configuration: .release))]
        ),
        // larder.h: the C ABI's declarations and the Arrow C Data Interface structs.
        .target(name: "CLarder"),
        .target(
            name: "LarderC",
            dependencies: ["Larder", "CLarder"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LarderTestSupport",
            path: "Tests/LarderTestSupport",
            swiftSettings: swiftSettings
        ),
        // The crash and concurrency suites' child process: library writes.
        .executableTarget(
            name: "larder-test-writer",
            dependencies: ["Larder", "LarderTestSupport", "CLarderSQLite"],
            path: "Tests/LarderTestWriter",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LarderTests",
            dependencies: ["Larder", "LarderPostgres", "LarderMigrations", "LarderTestSupport", "CLarderSupport", "CLarderSQLite",
                           .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOCore", package: "swift-nio")],
            resources: [.copy("Conformance")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LarderServerTests",
            dependencies: [
                "Larder", "LarderServer", "larder", "LarderTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LarderCLITests",
            dependencies: ["Larder", "LarderPostgres", "larder", "larder-test-writer", "LarderTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)

// Benchmarks are compiled only when asked for, so CI never builds them:
//   LARDER_BENCHMARKS=1 swift run -c release LarderBenchmarks ...
if ProcessInfo.processInfo.environment["LARDER_BENCHMARKS"] != nil {
    package.targets.append(
        .executableTarget(
            name: "LarderBenchmarks",
            dependencies: [
                "Larder",
                "LarderPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/LarderBenchmarks",
            swiftSettings: swiftSettings
        )
    )
}

// libFuzzer targets are compiled only when asked for, so CI never builds them:
//   Fuzz/run.sh [SECONDS] [TARGET...]    (sets LARDER_FUZZ=1; flags in Fuzz/README.md)
if ProcessInfo.processInfo.environment["LARDER_FUZZ"] != nil {
    let fuzzTargets = ["FuzzCSV", "FuzzJSONLines", "FuzzDefinitions", "FuzzTime", "FuzzManifest"]
    package.targets.append(contentsOf: [
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(name: "LarderFuzz", dependencies: ["Larder", "CLibFuzzer"], path: "Fuzz/LarderFuzz",
                swiftSettings: swiftSettings),
    ])
    for name in fuzzTargets {
        package.targets.append(
            .executableTarget(name: name, dependencies: ["LarderFuzz"], path: "Fuzz/Targets/\(name)",
                              swiftSettings: swiftSettings)
        )
    }
}
