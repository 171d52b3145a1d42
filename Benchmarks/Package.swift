// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder, which is whatever the clone is called.
let whyslowPackage = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
  name: "whyslow-benchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(path: ".."),
    .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
  ],
  targets: [
    .target(name: "BenchmarkInputs"),
    .executableTarget(
      name: "whyslow-throughput",
      dependencies: ["BenchmarkInputs", .product(name: "Whyslow", package: whyslowPackage)]
    ),
    .executableTarget(
      name: "WhyslowBenchmarks",
      dependencies: [
        "BenchmarkInputs",
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "Whyslow", package: whyslowPackage),
      ],
      path: "Benchmarks/WhyslowBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
  ]
)
