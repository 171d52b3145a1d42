// swift-tools-version: 6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
  name: "whyslow",
  products: [
    .executable(name: "whyslow", targets: ["whyslow"]),
    .library(name: "Whyslow", targets: ["WhyslowReports", "WhyslowEvaluation"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    // MARK: System libraries (Debian packages, found through pkg-config)
    .systemLibrary(
      name: "CSimdjson", pkgConfig: "simdjson", providers: [.apt(["libsimdjson-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
    .systemLibrary(
      name: "CProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
    .systemLibrary(
      name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CLAPACKE", pkgConfig: "lapacke", providers: [.apt(["liblapacke-dev"])]),

    // MARK: Native core (C++17 behind a C API)
    .target(
      name: "CWhyslowCore",
      dependencies: ["CSimdjson", "CZlib", "CZstd", "CProtobufC"],
      exclude: ["otlp_protobuf/otlp_traces.proto"],
      cxxSettings: [
        .define("SIMDJSON_THREADS_ENABLED", to: "1"),
        // simdjson On-Demand is templates inlined into the readers: -O3 inlines them far more
        // than SwiftPM's release -O2 (the parse of a 150 MB Jaeger file takes 15% less).
        .unsafeFlags(["-O3"], .when(configuration: .release)),
      ]
    ),

    // MARK: Layers, bottom to top
    .target(
      name: "WhyslowLinalg", dependencies: ["COpenBLAS", "CLAPACKE"], swiftSettings: swiftSettings),
    .target(name: "WhyslowIngest", dependencies: ["CWhyslowCore"], swiftSettings: swiftSettings),
    .target(
      name: "WhyslowFeatures", dependencies: ["WhyslowIngest", "CWhyslowCore"],
      swiftSettings: swiftSettings),
    .target(
      name: "WhyslowStatistics", dependencies: ["WhyslowFeatures", "WhyslowLinalg"],
      swiftSettings: swiftSettings),
    .target(
      name: "WhyslowReports", dependencies: ["WhyslowStatistics"], swiftSettings: swiftSettings),
    .target(
      name: "WhyslowEvaluation", dependencies: ["WhyslowReports"], swiftSettings: swiftSettings),

    // MARK: Command line
    .executableTarget(
      name: "whyslow",
      dependencies: [
        "WhyslowEvaluation",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swiftSettings
    ),

    // MARK: Tests
    .testTarget(
      name: "WhyslowLinalgTests", dependencies: ["WhyslowLinalg"], swiftSettings: swiftSettings),
    .testTarget(
      name: "WhyslowTests", dependencies: ["WhyslowEvaluation"], exclude: ["Fixtures"],
      swiftSettings: swiftSettings),
    .testTarget(name: "WhyslowCLITests", swiftSettings: swiftSettings),
  ],
  cxxLanguageStandard: .cxx17
)
