import ArgumentParser
import WhyslowIngest
import WhyslowReports
import WhyslowStatistics

struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Say what trace files hold: formats, traces, spans, entry points, data quality.",
    discussion: """
      Each path (a file, a directory searched recursively, or - for standard input) is read \
      as one input and described: the detected format of its files, its traces and spans, its \
      services, the first and last trace start (for --split-at), its endpoints as analyze \
      compares them with their latency percentiles (p50, p90, p99 by linear interpolation), \
      what had to be repaired or skipped, and what was inferred (CSV time units, services \
      from Kubernetes pod names).

      Formats: Jaeger JSON (UI download, query API, a trace, an array of traces or of spans, \
      JSON Lines), OTLP JSON (also JSON Lines from the Collector's file exporter, Jaeger's API \
      v3 wrapper, Grafana Tempo's replies), OTLP protobuf (the file exporter's format: proto, \
      Tempo's protobuf replies), Zipkin v2 JSON, and span tables as CSV (ClickHouse exporter \
      tables with date-time text too); any of them gzip- or zstd-compressed.

      Example:
        whyslow inspect Datasets/demo/fast Datasets/demo/slow
      """
  )

  @Argument(help: ArgumentHelp("Trace files or directories; - reads standard input.", valueName: "path"))
  var paths: [String]

  @OptionGroup var input: InputOptions

  @Flag(help: "Print one JSON object (type whyslow.inspect, version 1) instead of text.")
  var json = false

  func run() throws {
    // Two paths at a time, a core each (each its files one at a time); a last one alone, on both.
    let (one, both) = (input.readOptionsFileByFile, input.readOptions)
    @Sendable func described(_ path: String, _ options: ReadOptions) throws -> (path: String, summary: BatchSummary) {
      (path, BatchSummary(try TraceReader.read(paths: [path], options: options)))
    }
    var inputs: [(path: String, summary: BatchSummary)] = []
    for start in stride(from: 0, to: paths.count - 1, by: 2) {
      let (first, second) = (paths[start], paths[start + 1])
      let pair = try concurrently({ try described(first, one) }, { try described(second, one) })
      inputs += [pair.0, pair.1]
    }
    if paths.count % 2 == 1 { inputs.append(try described(paths[paths.count - 1], both)) }
    print(json ? InspectJSONReport().render(inputs) : InspectTextReport().render(inputs), terminator: "")
  }
}
