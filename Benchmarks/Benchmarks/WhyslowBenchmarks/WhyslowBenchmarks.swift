import Benchmark
import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowStatistics

/// The demo batches, relative to this file: Benchmarks/Benchmarks/WhyslowBenchmarks/.
private let demo = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("Datasets/demo")

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration.maxDuration = .seconds(5)
  Benchmark.defaultConfiguration.metrics = [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident]

  // Jaeger JSON → linked span table; one iteration reads the 4 demo files (960 spans).
  Benchmark("Read demo Jaeger batches") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(try TraceReader.read(paths: [demo.appendingPathComponent("fast").path, demo.appendingPathComponent("slow").path]))
    }
  }

  // Span tables → feature matrix → ridge fit and contributions (120 traces × 8 features).
  Benchmark("Analyze demo") { benchmark in
    let fast = try TraceReader.read(paths: [demo.appendingPathComponent("fast").path])
    let slow = try TraceReader.read(paths: [demo.appendingPathComponent("slow").path])
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
      blackHole(try ContributionAnalysis.analyze(FeatureMatrix(fast: fast, slow: slow)))
    }
  }
}
