// swift-tools-version:6.0
import PackageDescription

// Every dependency is pinned `exact:`: the local package mirror holds one version of each.
let package = Package(
  name: "momaudit",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "momaudit", targets: ["momaudit"]),
    .executable(name: "momaudit-ingest", targets: ["momaudit-ingest"]),
    .executable(name: "momaudit-check", targets: ["momaudit-check"]),
    .executable(name: "momaudit-report", targets: ["momaudit-report"]),
  ],
  dependencies: [
    .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
    .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CLibXML2",
      pkgConfig: "libxml-2.0",
      providers: [.apt(["libxml2-dev"])]
    ),
    .target(
      name: "MoMAuditKit",
      dependencies: [
        "CLibXML2",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "TOMLKit", package: "TOMLKit"),
      ],
      // Reference data, compiled into the binary (it runs without the package).
      resources: [.embedInCode("Resources/implant-library.json")]
    ),
    .target(
      name: "MoMAuditCommands",
      dependencies: [
        "MoMAuditKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .executableTarget(name: "momaudit", dependencies: ["MoMAuditCommands"]),
    .executableTarget(name: "momaudit-ingest", dependencies: ["MoMAuditCommands"]),
    .executableTarget(name: "momaudit-check", dependencies: ["MoMAuditCommands"]),
    .executableTarget(name: "momaudit-report", dependencies: ["MoMAuditCommands"]),
    // Fuzz targets: replays corpora in a normal build, libFuzzer under `make fuzz`.
    .executableTarget(name: "momaudit-fuzz", dependencies: ["MoMAuditKit"]),
    .testTarget(
      name: "MoMAuditKitTests",
      dependencies: ["MoMAuditKit", "MoMAuditCommands"],
      exclude: ["Fixtures"]
    ),
  ]
)
