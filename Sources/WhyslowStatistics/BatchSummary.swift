import WhyslowFeatures
import WhyslowIngest

/// Latency percentiles of one entry point, as an analysis names endpoints.
public struct EntryPoint: Sendable {
  /// The endpoint's key.
  public let key: SpanKey
  /// Traces entering here.
  public let traces: Int
  /// Median latency, milliseconds.
  public let p50Millis: Double
  /// 90th percentile latency, milliseconds.
  public let p90Millis: Double
  /// 99th percentile latency, milliseconds.
  public let p99Millis: Double
}

/// What a batch of traces holds: sizes, services, entry points and data quality.
public struct BatchSummary: Sendable {
  /// Traces in the batch.
  public let traces: Int
  /// Spans in the batch.
  public let spans: Int
  /// Service names, sorted.
  public let services: [String]
  /// Entry points as an analysis compares them, most traces first (then by key).
  public let entryPoints: [EntryPoint]
  /// How the endpoints were chosen, when not from the root span (empty otherwise).
  public let endpointNote: String
  /// The earliest and the latest trace start, nanoseconds since the epoch (nil without traces):
  /// the range a `--split-at` time falls in.
  public let firstTraceStartNanos: Int64?
  public let lastTraceStartNanos: Int64?
  /// Files read per format, in `TraceFormat` order.
  public let filesPerFormat: [(format: TraceFormat, files: Int)]
  /// What reading had to repair or skip.
  public let quality: DataQuality

  /// Summarizes a batch.
  public init(_ table: SpanTable) {
    traces = table.traceCount
    spans = table.spanCount
    services = Set(table.service).map { terminalSafe(table.strings[Int($0)]) }.sorted()
    let (endpoints, latency, note) = FeatureMatrix.entryPoints(of: table)
    var latencies: [SpanKey: [Double]] = [:]
    for (key, millis) in zip(endpoints, latency) { latencies[key, default: []].append(millis) }
    endpointNote = note
    let range = table.traceStartRange()
    firstTraceStartNanos = range?.lowerBound
    lastTraceStartNanos = range?.upperBound
    entryPoints = latencies.map { key, values in
      let sorted = values.sorted()
      return EntryPoint(
        key: key, traces: sorted.count, p50Millis: percentile(sorted, 0.50),
        p90Millis: percentile(sorted, 0.90), p99Millis: percentile(sorted, 0.99))
    }
    .sorted { ($0.traces, $1.key) > ($1.traces, $0.key) }
    filesPerFormat = TraceFormat.allCases.compactMap { format in
      let files = table.quality.files.filter { $0.format == format }.count
      return files > 0 ? (format, files) : nil
    }
    quality = table.quality
  }
}
