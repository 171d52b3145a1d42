import ArgumentParser
import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowReports
import WhyslowStatistics

struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Say exactly where trace B spends more time than trace A.",
    discussion: """
      Splits the latency difference of two traces over span keys by critical-path time \
      (CRISP's algorithm), which adds up to the difference exactly; also shows each key's \
      self-time difference, its span counts, the waiting inside it before each child starts, \
      network gaps to callees, the attributes and error status that changed, and events \
      (Jaeger logs, OTLP events, Zipkin annotations) that moved within their span. Warns when \
      the traces enter at different roots. No statistics: one pair of traces supports no \
      claim about a population; use `analyze` for batches.

      A and B are trace files (any format whyslow reads). A file holding several traces needs \
      --trace-a or --trace-b to pick one.

      CSV columns: kind (key, attribute or event), service, operation, critical_ms, self_ms, \
      count_a, count_b, detail, value_a, value_b.

      Exit codes: 0 success; 1 bad input (the message names the file and place); 64 usage \
      error (also a file with several traces and no --trace-a/--trace-b).

      Example:
        whyslow diff fast-trace.json slow-trace.json
      """
  )

  @Argument(help: ArgumentHelp("The reference trace's file.", valueName: "a"))
  var a: String

  @Argument(help: ArgumentHelp("The trace to explain (usually the slower).", valueName: "b"))
  var b: String

  @Option(help: "The trace id to take from A when it holds several.")
  var traceA: String?

  @Option(help: "The trace id to take from B when it holds several.")
  var traceB: String?

  @Option(help: "How many span keys to show.")
  var top = 15

  @Option(help: ArgumentHelp("Also write the difference as CSV to this file (- for standard output).", valueName: "file"))
  var csv: String?

  @Option(help: ArgumentHelp("Also write the difference as JSON to this file (- for standard output).", valueName: "file"))
  var json: String?

  @OptionGroup var input: InputOptions

  func run() throws {
    let requested: [(exporter: any DifferenceExporter, output: OutputFiles.Output)] =
      [(TraceDifferenceCSV() as any DifferenceExporter, "--csv", csv), (TraceDifferenceJSON(), "--json", json)]
      .compactMap { exporter, option, path in path.map { (exporter, OutputFiles.Output(option: option, path: $0)) } }
    let outputs = try OutputFiles(requested.map(\.output), inputs: [a, b])
    let tableA = try TraceReader.read(paths: [a], options: input.readOptions)
    let tableB = try TraceReader.read(paths: [b], options: input.readOptions)
    let idA = try pick(tableA, traceA, path: a)
    let idB = try pick(tableB, traceB, path: b)
    let matrix = FeatureMatrix(
      fast: tableA, slow: tableB, options: FeatureOptions(dropConstantColumns: false, endpointRule: .root))
    // Rows are in trace-id order within each batch: find each trace's row by its id.
    let rowA = matrix.traceIDs.indices.first { !matrix.isSlow[$0] && matrix.traceIDs[$0] == idA } ?? 0
    let rowB = matrix.traceIDs.indices.first { matrix.isSlow[$0] && matrix.traceIDs[$0] == idB } ?? 0
    let difference = TraceDifference(matrix, a: rowA, b: rowB, tableA: tableA, tableB: tableB)
    let text = TraceDifferenceReport(limit: top).render(difference)
    if outputs.usesStandardOutput { printError(text) } else { print(text, terminator: "") }
    try outputs.write(requested.map { $0.exporter.render(difference) })
  }

  /// The id of the trace to compare: `id` when given, else the file's only trace.
  private func pick(_ table: SpanTable, _ id: String?, path: String) throws -> String {
    if let id {
      guard (0..<table.traceCount).contains(where: { table.traceID($0) == id }) else {
        throw ValidationError("\(path): no trace with id \(id)")
      }
      return id
    }
    guard table.traceCount == 1 else {
      throw ValidationError(
        "\(path) holds \(table.traceCount) traces; pick one with --trace-a/--trace-b (for example "
          + "\(table.traceCount > 0 ? table.traceID(0) : "an id"))")
    }
    return table.traceID(0)
  }
}
