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
      Reads Jaeger JSON (as the Jaeger UI downloads it or the query API returns it) from files \
      or directories (searched for *.json). Each trace becomes a vector of span features (per \
      service and operation: summed self-time); trace latency is regressed on them with \
      LAPACK, and each feature's contribution to the gap in mean latency is its coefficient \
      times the difference of its means between the batches.

      The ranking goes to standard output; what was read goes to standard error.

      Example:
        whyslow analyze --fast Datasets/demo/fast --slow Datasets/demo/slow --csv suspects.csv
      """
  )

  @Option(
    parsing: .upToNextOption,
    help: ArgumentHelp("Baseline traces: Jaeger JSON files or directories.", valueName: "path"))
  var fast: [String]

  @Option(
    parsing: .upToNextOption,
    help: ArgumentHelp("Traces of the slow period: Jaeger JSON files or directories.", valueName: "path"))
  var slow: [String]

  @Option(
    help: ArgumentHelp(
      "Also write every finding as CSV to this file (replaced atomically).", valueName: "file"))
  var csv: String?

  @Option(help: "How many findings the terminal table shows.")
  var top = 10

  func validate() throws {
    guard top >= 1 else { throw ValidationError("--top must be at least 1") }
  }

  func run() throws {
    let fastTable = try TraceReader.read(paths: fast)
    let slowTable = try TraceReader.read(paths: slow)
    printSummary(of: fastTable, as: "fast")
    printSummary(of: slowTable, as: "slow")
    let matrix = FeatureMatrix(fast: fastTable, slow: slowTable)
    let analysis = try ContributionAnalysis.analyze(matrix)
    print(TableExporter(limit: top).render(analysis), terminator: "")
    if let csv {
      try writeAtomically(CSVExporter().render(analysis), to: csv)
      printError("wrote \(analysis.findings.count) findings to \(csv)")
    }
  }

  private func printSummary(of table: SpanTable, as name: String) {
    let quality = table.quality
    printError(
      "read \(name): \(quality.files) files, \(table.traceCount) traces, \(table.spanCount) spans; "
        + "\(quality.duplicateSpans) duplicate spans dropped, \(quality.orphanSpans) orphan spans")
  }
}

/// Writes a diagnostic line to standard error.
func printError(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}
