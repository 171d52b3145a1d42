import Benchmark
import BenchmarkInputs
import CWhyslowCore
import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowStatistics

/// The demo batches, relative to this file: Benchmarks/Benchmarks/WhyslowBenchmarks/.
private let demo = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("Datasets/demo")

/// Parses `bytes` into a fresh native table; the span count, for checking.
private func parse(_ bytes: Data, _ format: wsl_format) -> Int64 {
  var table: OpaquePointer?
  _ = wsl_span_table_create(&table)
  defer { wsl_span_table_free(table) }
  _ = bytes.withUnsafeBytes {
    wsl_parse(table, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count, $0.count, format, nil, Int.max, nil)
  }
  return wsl_span_table_span_count(table)
}

private func bareScan(_ bytes: Data, _ format: wsl_format) -> Int64 {
  bytes.withUnsafeBytes {
    wsl_bare_simdjson_scan($0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count, format)
  }
}

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration.maxDuration = .seconds(5)
  Benchmark.defaultConfiguration.metrics = [
    .wallClock, .throughput, .mallocCountTotal, .peakMemoryResident,
  ]

  // Parsing, 40,000 spans per iteration (throughput = documents per second; × 40,000 for
  // spans per second). `whyslow-throughput` prints the same comparison as MB/s and a ratio.
  let jaeger = SyntheticTraces.jaeger(traces: 2_000, spansPerTrace: 20)
  let otlp = SyntheticTraces.otlp(traces: 2_000, spansPerTrace: 20)
  Benchmark("Parse Jaeger 40k spans: whyslow") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(parse(jaeger, WSL_FORMAT_JAEGER)) }
  }
  Benchmark("Parse Jaeger 40k spans: simdjson alone") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(bareScan(jaeger, WSL_FORMAT_JAEGER)) }
  }
  Benchmark("Parse OTLP 40k spans: whyslow") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(parse(otlp, WSL_FORMAT_OTLP)) }
  }
  Benchmark("Parse OTLP 40k spans: simdjson alone") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(bareScan(otlp, WSL_FORMAT_OTLP)) }
  }

  // Jaeger JSON → linked span table in Swift; one iteration reads the 4 demo files (960 spans).
  Benchmark("Read demo Jaeger batches") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(
        try TraceReader.read(paths: [
          demo.appendingPathComponent("fast").path, demo.appendingPathComponent("slow").path,
        ]))
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
