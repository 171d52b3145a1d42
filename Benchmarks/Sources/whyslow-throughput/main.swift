// Prints whyslow's parsing throughput beside simdjson On-Demand's own rate on the same bytes,
// and the speed-up of reading several files on both cores. Run in release:
//   swift run -c release whyslow-throughput
import BenchmarkInputs
import CWhyslowCore
import Dispatch
import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowLinalg
import WhyslowStatistics

/// Best wall-clock seconds of `repeats` runs.
func best(_ repeats: Int, _ body: () -> Void) -> Double {
  (0..<repeats).map { _ in
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }.min() ?? .nan
}

func report(_ name: String, _ bytes: Data, _ format: wsl_format, spans: Int) {
  let megabytes = Double(bytes.count) / 1e6
  let bare = best(7) {
    let seen = bytes.withUnsafeBytes {
      wsl_bare_simdjson_scan($0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count, format)
    }
    precondition(seen == spans, "bare scan saw \(seen) spans")
  }
  let ours = best(7) {
    var table: OpaquePointer?
    _ = wsl_span_table_create(&table)
    let status = bytes.withUnsafeBytes {
      wsl_parse(table, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count, $0.count, format, nil, Int.max, nil)
    }
    precondition(status == WSL_OK && wsl_span_table_span_count(table) == spans)
    wsl_span_table_free(table)
  }
  print(
    String(
      format: "%@: %.1f MB, %d spans\n  simdjson On-Demand alone: %7.1f MB/s %6.2f M spans/s\n"
        + "  whyslow parse to table:   %7.1f MB/s %6.2f M spans/s  = %.0f%% of simdjson",
      name, megabytes, spans, megabytes / bare, Double(spans) / bare / 1e6, megabytes / ours,
      Double(spans) / ours / 1e6, 100 * bare / ours))
}

// `--files A B`: real-shaped files (../shared/bench/gen_jaeger.py): the core's parse of A to a
// span table, warm, median of 5 (to set beside simdjson_bench's median on the same bytes), and
// both files through TraceReader one at a time and two at a time.
if let at = CommandLine.arguments.firstIndex(of: "--files"), CommandLine.arguments.count > at + 2 {
  let paths = Array(CommandLine.arguments[(at + 1)...(at + 2)])
  let data = try Data(contentsOf: URL(fileURLWithPath: paths[0]))
  var bytes = [UInt8](repeating: 0, count: data.count + 64)
  bytes.withUnsafeMutableBytes { _ = data.copyBytes(to: $0) }
  let length = data.count
  var seconds: [Double] = []
  var spans: Int64 = 0
  for _ in 0..<5 {
    var table: OpaquePointer?
    _ = wsl_span_table_create(&table)
    let start = DispatchTime.now().uptimeNanoseconds
    let status = bytes.withUnsafeBufferPointer {
      wsl_parse(table, UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), length, $0.count, WSL_FORMAT_JAEGER, nil, Int.max, nil)
    }
    seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    precondition(status == WSL_OK)
    spans = wsl_span_table_span_count(table)
    wsl_span_table_free(table)
  }
  let median = seconds.sorted()[2]
  print(String(format: "RESULT whyslow-parse file_MB=%.1f spans=%lld s median=%.3f min=%.3f max=%.3f MB/s=%.1f",
               Double(length) / 1e6, spans, median, seconds.min() ?? 0, seconds.max() ?? 0, Double(length) / 1e6 / median))
  let one = best(3) { _ = try? TraceReader.read(paths: paths, options: ReadOptions(parallelFiles: 1)) }
  let two = best(3) { _ = try? TraceReader.read(paths: paths, options: ReadOptions(parallelFiles: 2)) }
  print(String(format: "RESULT whyslow-read-two-files one_at_a_time_s=%.3f two_at_a_time_s=%.3f speedup=%.2f", one, two, one / two))
  exit(0)
}

// `--features-only` skips the parse measurements (for profiling the feature step alone).
let featuresOnly = CommandLine.arguments.contains("--features-only")
let traces = 20_000
let spansPerTrace = 20
if !featuresOnly {
report("Jaeger JSON", SyntheticTraces.jaeger(traces: traces, spansPerTrace: spansPerTrace), WSL_FORMAT_JAEGER, spans: traces * spansPerTrace)
report("OTLP JSON", SyntheticTraces.otlp(traces: traces, spansPerTrace: spansPerTrace), WSL_FORMAT_OTLP, spans: traces * spansPerTrace)
}

// Several files: one core versus both (files parsed two at a time), end to end through
// TraceReader (read, parse, append, link, copy columns to Swift).
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-throughput-\(getpid())")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
for file in 0..<8 {
  try SyntheticTraces.jaeger(traces: 2_500, spansPerTrace: 20)
    .write(to: folder.appendingPathComponent("part-\(file).json"))
}
let oneCore = featuresOnly ? .nan : best(3) { _ = try? TraceReader.read(paths: [folder.path], options: ReadOptions(parallelFiles: 1)) }
let twoCores = featuresOnly ? .nan : best(3) { _ = try? TraceReader.read(paths: [folder.path], options: ReadOptions(parallelFiles: 2)) }
print(
  String(
    format: "8 Jaeger files, 400000 spans, end to end through TraceReader:\n"
      + "  one file at a time: %.3f s (%.2f M spans/s)\n  two at a time:      %.3f s (%.2f M spans/s)  speed-up %.2fx",
    oneCore, 0.4 / oneCore, twoCores, 0.4 / twoCores, oneCore / twoCores))

// Span table → feature matrix, one core: 2 × 200,000 spans (10,000 traces of 20 spans per
// batch, 8 services × 17 operations, an attribute with 3 values).
let fastFolder = folder.appendingPathComponent("fast")
let slowFolder = folder.appendingPathComponent("slow")
for batch in [fastFolder, slowFolder] {
  try FileManager.default.createDirectory(at: batch, withIntermediateDirectories: true)
  try SyntheticTraces.jaeger(traces: 10_000, spansPerTrace: 20).write(to: batch.appendingPathComponent("traces.json"))
}
let fastTable = try TraceReader.read(paths: [fastFolder.path])
let slowTable = try TraceReader.read(paths: [slowFolder.path])
var columns = 0
let building = best(featuresOnly ? 40 : 5) {
  columns = FeatureMatrix(fast: fastTable, slow: slowTable).columns.count
}
let spans = Double(fastTable.spanCount + slowTable.spanCount)
print(
  String(
    format: "span table → feature matrix (%d spans, %d traces, %d columns): %.3f s = %.2f M spans/s",
    Int(spans), fastTable.traceCount + slowTable.traceCount, columns, building, spans / building / 1e6))

// The analysis at scale: 100,000 traces × 1,000 feature columns (125 span keys × 8 features),
// two entry points; the explanation over the top 50 features. Then the Gram step's
// rate beside a bare OpenBLAS dsyrk of the same shape, on the threads OpenBLAS is set to.
if CommandLine.arguments.contains("--analysis") {
  let traces = 100_000
  let keys = 125
  var random = SeededRandom(seed: 42)
  // Explanatory columns first, outcomes after, as FeatureMatrix(fast:slow:) lays them out.
  var columns: [FeatureColumn] = []
  var values: [Double] = []
  var outcomeColumns: [FeatureColumn] = []
  var outcomeValues: [Double] = []
  values.reserveCapacity(traces * keys * 8)
  var latency = [Double](repeating: 0, count: traces)
  let isSlow = (0..<traces).map { $0 >= traces / 2 }
  for key in 0..<keys {
    let spanKey = SpanKey(service: "svc-\(key % 12)", operation: "op-\(key)")
    let critical = (0..<traces).map { row in
      random.lognormal(median: 2, sigma: 0.4) + (key == 7 && isSlow[row] ? 3 : 0)
    }
    for row in 0..<traces { latency[row] += critical[row] }
    outcomeColumns.append(FeatureColumn(key: spanKey, kind: .criticalTime))
    outcomeValues += critical
    outcomeColumns.append(FeatureColumn(key: spanKey, kind: .startOffset))
    outcomeValues += critical.map { $0 * (0.5 + random.uniform()) }
    for kind in [FeatureKind.selfTime, .count, .wait, .error, .depth] {
      columns.append(FeatureColumn(key: spanKey, kind: kind))
      values += critical.map { $0 * (0.5 + random.uniform()) }
    }
    columns.append(FeatureColumn(key: spanKey, kind: .attribute(key: "region", value: "eu")))
    values += (0..<traces).map { _ in random.chance(0.5) ? 1 : 0 }
  }
  columns += outcomeColumns
  values += outcomeValues
  outcomeValues = []
  let matrix = FeatureMatrix(
    columns: columns, values: values, traceIDs: (0..<traces).map { String($0) }, isSlow: isSlow,
    latencyMillis: latency,
    entryPoints: (0..<traces).map { SpanKey(service: "gateway", operation: $0 % 3 == 0 ? "GET /a" : "POST /b") })
  values = []
  for threads in [1, 2] {
    BLASThreads.set(threads)
    var analysis: LatencyAnalysis?
    let seconds = best(1) { analysis = try? ContributionAnalysis.analyze(matrix) }
    let top = analysis?.suspects.first?.name ?? "none"
    print(
      String(
        format: "analysis of %d traces × %d columns on %d BLAS thread(s): %.2f s (top suspect %@)",
        traces, matrix.columns.count, threads, seconds, top))
  }
}
