import ArgumentParser
import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowReports
import WhyslowStatistics

struct Analyze: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Rank the spans that make the slow traces slower than the fast ones.",
    discussion: """
      Reads traces from files or directories (searched recursively): Jaeger JSON, OTLP JSON \
      (also JSON Lines, Grafana Tempo replies) or protobuf, Zipkin v2 JSON or span-table CSV, \
      any of them gzip- or zstd-compressed, the format detected per file (see `whyslow \
      inspect --help`). Give a fast and a slow batch, \
      or one batch with --traces and a rule that labels it.

      Traces are compared within their entry point. Every span key's growth on the critical \
      path is a suspect (the suspects add up to the within-endpoint gap exactly), or the \
      network to a callee when a client grew by its network gap; a client operation that \
      calls several services is split into its calls to each. Each suspect's growth is \
      explained by its own features (self-time, count, waits before its children, network \
      gaps, errors, attributes) by least squares on one shared design (LAPACK), with HC3 \
      errors, a remainder, 95% Welch t intervals and Benjamini–Hochberg q-values against a \
      minimum effect (--min-effect). Suspects are ranked by growth, largest first; the \
      `by service:` line sums them per service (the team to page); the table, --csv, --json \
      and --html all show that one ranking.

      Reading the table: growth = added time on the critical path per request (mean slow − \
      mean fast, within endpoints); share = of the gap; variance = share of the slow batch's \
      latency variance; q = false discovery rate; * = significant. self_time = time in the \
      span itself; wait before X = time before the call to X started (queueing); network to X \
      / network_gap = client time not covered by X's server span (the network, client-side \
      queueing, connection pools, sidecars). "grew off the critical path" names work that \
      grew where requests do not wait for it. "by attribute value" splits the first \
      suspects by each attribute that varies on them (pod, version, host): the growth with \
      a value, and how much more than with the attribute's other values (starred alike; \
      printed where a value is starred, every one with --all).

      The answer goes to standard output (its first line), what was read to standard error.

      CSV columns: rank, service, operation, feature, peer_service, contribution_ms, share, \
      ci_low_ms, ci_high_ms, p_value, q_value, fast_mean, slow_mean, fast_traces, \
      slow_traces, example_slow_trace, suspect_rank, level (suspect or explanation), \
      suspect_service, variance_share (see README, "Output schema").

      Exit codes: 0 success; 1 bad input or runtime error (the message names the file and \
      place); 3 with --fail-on-suspect when the slow batch is significantly slower and a \
      suspect grew significantly by more than the minimum effect; 64 usage error; 74 an input \
      file shrank while it was read (log rotation).

      Examples:
        whyslow analyze --fast Datasets/demo/fast \\
          --slow Datasets/demo/slow --csv suspects.csv
        whyslow analyze --traces traces/ --slow-quantile 0.9 \\
          --html report.html --trace-url 'http://jaeger:16686/trace/{id}'
        whyslow analyze --traces traces/ --split-at 2026-11-30T14:05:00Z \\
          --csv - | head
      """
  )

  @Option(
    parsing: .upToNextOption,
    help: ArgumentHelp("Baseline traces: files or directories (- for standard input).", valueName: "path"))
  var fast: [String] = []

  @Option(
    parsing: .upToNextOption,
    help: ArgumentHelp("Traces of the slow period: files or directories.", valueName: "path"))
  var slow: [String] = []

  @Option(
    parsing: .upToNextOption,
    help: ArgumentHelp(
      "One batch to label fast and slow by --slow-above, --slow-quantile or --split-at (instead of --fast and --slow).",
      valueName: "path"))
  var traces: [String] = []

  @Option(help: ArgumentHelp("With --traces: slow when the latency is above this.", valueName: "ms"))
  var slowAbove: Double?

  @Option(help: ArgumentHelp("With --traces: slow when above this quantile of its endpoint's latencies.", valueName: "q"))
  var slowQuantile: Double?

  @Option(
    help: ArgumentHelp(
      "With --traces: slow when the trace starts at or after TIME (RFC 3339, or epoch seconds).", valueName: "time"))
  var splitAt: String?

  @Option(
    help: ArgumentHelp(
      "Keep only traces entering at this endpoint, as the gap lines print it (\"service operation\") or its "
        + "operation; an unknown one lists the endpoints there are.",
      valueName: "endpoint"))
  var endpoint: String?

  @Option(
    help: ArgumentHelp(
      "Ask why the tail is slow: keep only the slow batch's traces above this quantile of their endpoint's "
        + "slow latencies (0.99 for p99) and compare them with the whole fast batch.",
      valueName: "q"))
  var slowTail: Double?

  @Option(help: ArgumentHelp("Keep only traces with a span of this service.", valueName: "service"))
  var service: String?

  @OptionGroup var analysis: AnalysisArguments

  @OptionGroup var input: InputOptions

  @OptionGroup var features: FeatureArguments

  func validate() throws {
    let rules = [slowAbove != nil, slowQuantile != nil, splitAt != nil].filter { $0 }.count
    if traces.isEmpty {
      guard !fast.isEmpty, !slow.isEmpty else {
        throw ValidationError("give --fast and --slow, or one batch with --traces and a rule (--slow-above, --slow-quantile or --split-at)")
      }
      guard rules == 0 else { throw ValidationError("--slow-above, --slow-quantile and --split-at label a --traces batch") }
    } else {
      guard fast.isEmpty, slow.isEmpty else { throw ValidationError("--traces replaces --fast and --slow") }
      guard rules == 1 else { throw ValidationError("--traces needs exactly one of --slow-above, --slow-quantile, --split-at") }
    }
    if let slowQuantile, !(slowQuantile > 0 && slowQuantile < 1) {
      throw ValidationError("--slow-quantile must be between 0 and 1")
    }
    if let slowTail, !(slowTail > 0 && slowTail < 1) {
      throw ValidationError("--slow-tail must be between 0 and 1 (0.99 for the traces above p99)")
    }
    if let splitAt, Self.nanos(of: splitAt) == nil {
      throw ValidationError("--split-at \(splitAt): not an RFC 3339 time (2026-11-30T14:05:00Z) nor epoch seconds")
    }
    guard (fast + slow + traces).filter({ $0 == "-" }).count <= 1 else {
      throw ValidationError("standard input (-) can be read only once")
    }
  }

  func run() throws {
    let outputs = try analysis.outputs(inputs: fast + slow + traces)
    let progress = Progress()
    defer { progress.finish() }
    progress.begin("reading traces")
    var (fastTable, slowTable, reading) = try batches()
    if let service {
      fastTable = TraceSelection.filter(fastTable, service: service)
      slowTable = TraceSelection.filter(slowTable, service: service)
    }
    AnalysisArguments.chooseBLASThreads(traces: fastTable.traceCount + slowTable.traceCount)
    progress.begin("building features")
    var matrix = FeatureMatrix(fast: fastTable, slow: slowTable, options: features.options)
    if let endpoint {
      matrix = try TraceSelection.filter(matrix, endpoint: endpoint)
      reading.append(("endpoint", "kept \(matrix.traceCount) traces entering at \(endpoint)"))
    }
    if let slowTail {
      matrix = TraceSelection.slowTail(matrix, quantile: slowTail)
      let tail = matrix.isSlow.filter { $0 }.count
      reading.append(("tail", "kept the \(tail) slow traces above their endpoint's \(Self.quantileName(slowTail))"))
    }
    progress.begin("analyzing")
    let result = try ContributionAnalysis.analyze(matrix, options: analysis.options)
    progress.begin("writing")
    let context = analysis.html == nil ? ReportContext() : reportContext(result, fastTable, slowTable, reading)
    progress.finish()
    let cautions = traces.isEmpty
      ? [TraceSelection.staleBaselineCaution(fast: fastTable.traceStartRange(), slow: slowTable.traceStartRange())]
        .compactMap { $0 } : []
    try analysis.report(
      result, matrix: matrix, reading: reading.map(\.summary), question: question, cautions: cautions,
      context: context, to: outputs)
  }

  /// The question the answer answers, in words, from how the batches were chosen.
  private var question: String {
    let within = "compared within endpoints"
    if let slowTail {
      return "why are the slow batch's traces above their endpoint's \(Self.quantileName(slowTail)) slower than the "
        + "fast batch? (means, \(within))"
    }
    if let slowQuantile {
      return "why are each endpoint's traces above its \(Self.quantileName(slowQuantile)) slower than its others? "
        + "(means, \(within))"
    }
    if let slowAbove { return "why are traces over \(slowAbove) ms slower than the others? (means, \(within))" }
    if let nanos = splitAt.flatMap(Self.nanos(of:)) {
      let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(nanos) / 1e9))
      return "why are traces since \(time) slower than before? (means, \(within))"
    }
    return Self.meanQuestion
  }

  /// The question of two batches compared whole.
  static let meanQuestion =
    "why is the slow batch's mean latency higher than the fast batch's? (compared within endpoints; "
    + "--slow-tail 0.99 asks about its p99)"

  /// "p99" for 0.99, "p99.9" for 0.999.
  static func quantileName(_ q: Double) -> String {
    let percent = q * 100
    return "p" + (percent == percent.rounded() ? String(Int(percent)) : String(format: "%g", percent))
  }

  /// The HTML report's timelines (a typical fast and a typical slow trace that contain the top
  /// suspect, else the main endpoint's), reading summaries and trace links.
  private func reportContext(
    _ result: LatencyAnalysis, _ fastTable: SpanTable, _ slowTable: SpanTable,
    _ reading: [(batch: String, summary: String)]
  ) -> ReportContext {
    var timelines: [(label: String, timeline: TraceTimeline)] = []
    let options = features.options
    let pair: (what: String, fast: String, slow: String)? =
      if let top = result.suspects.first, top.contribution.value > 0 {
        ("with \(top.key)", top.exampleFastTraceID, top.exampleSlowTraceID)
      } else {
        result.typicalTraces.first.map { ("of \($0.endpoint)", $0.fast, $0.slow) }
      }
    if let pair {
      if let fast = TraceTimeline(table: fastTable, traceID: pair.fast, options: options) {
        timelines.append(("a typical fast trace \(pair.what)", fast))
      }
      if let slow = TraceTimeline(table: slowTable, traceID: pair.slow, options: options) {
        timelines.append(("a typical slow trace \(pair.what)", slow))
      }
    }
    return ReportContext(timelines: timelines, dataQuality: reading, traceURL: analysis.traceURL)
  }

  /// The fast and slow batches, read as given or as one --traces batch labelled by its rule,
  /// and what was read: a line per batch (or one for the one batch, and its labels).
  private func batches() throws -> (SpanTable, SpanTable, [(batch: String, summary: String)]) {
    func summary(_ table: SpanTable, _ name: String) -> (batch: String, summary: String) {
      let summary = readingSummary(
        traces: table.traceCount, spans: table.spanCount, quality: table.quality, name: name,
        starts: table.traceStartRange())
      return (name, summary)
    }
    guard !traces.isEmpty else {
      let (fastTable, slowTable) = try input.readBothBatches(fast: fast, slow: slow) { table, _ in table }
      return (fastTable, slowTable, [summary(fastTable, "fast"), summary(slowTable, "slow")])
    }
    let table = try TraceReader.read(paths: traces, options: input.readOptions)
    let rule: SlowRule =
      if let slowAbove { .above(millis: slowAbove) }
      else if let slowQuantile { .quantile(slowQuantile) }
      else { .startingAt(nanos: splitAt.flatMap(Self.nanos(of:)) ?? 0) }
    let split = TraceSelection.split(table, by: rule)
    let labels = "labelled \(split.fast.traceCount) traces fast and \(split.slow.traceCount) slow by \(Self.describe(rule))"
    return (split.fast, split.slow, [summary(table, "traces"), ("labels", labels)])
  }

  private static func describe(_ rule: SlowRule) -> String {
    switch rule {
    case .above(let millis): return "latency above \(millis) ms"
    case .quantile(let q): return "latency above each endpoint's \(q) quantile"
    case .startingAt(let nanos):
      let formatter = ISO8601DateFormatter()
      return "start at or after " + formatter.string(from: Date(timeIntervalSince1970: Double(nanos) / 1e9))
    }
  }

  /// Nanoseconds since the epoch of an RFC 3339 time or of epoch seconds (fractions allowed).
  static func nanos(of text: String) -> Int64? {
    if let seconds = Double(text), seconds.isFinite, abs(seconds) < 9e9 { return Int64((seconds * 1e9).rounded()) }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let date = formatter.date(from: text) ?? {
      formatter.formatOptions = [.withInternetDateTime]
      return formatter.date(from: text)
    }()
    return date.map { Int64(($0.timeIntervalSince1970 * 1e9).rounded()) }
  }
}
