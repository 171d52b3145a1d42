import ArgumentParser
import Foundation
import WhyslowFeatures
import WhyslowLinalg
import WhyslowReports
import WhyslowStatistics

/// The statistics' options and the outputs, shared by `analyze` and `merge`: the same analysis
/// and the same table, CSV, JSON and HTML whichever way the features were built.
struct AnalysisArguments: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Also write the ranking as CSV to this file (- for standard output; replaced atomically).",
      valueName: "file"))
  var csv: String?

  @Option(
    help: ArgumentHelp(
      "Also write the whole analysis as one JSON object to this file (- for standard output).",
      valueName: "file"))
  var json: String?

  @Option(
    help: ArgumentHelp(
      "Also write a self-contained HTML report to this file (- for standard output).", valueName: "file"))
  var html: String?

  @Option(
    help: ArgumentHelp(
      "Link trace ids (the table's typical slow traces, the HTML report): a URL with {id}, e.g. "
        + "'http://jaeger:16686/trace/{id}'.",
      valueName: "template"))
  var traceURL: String?

  @Option(
    parsing: .unconditional,
    help: "How many suspects the terminal table shows: the N that grew most (at least 1).")
  var top = 10

  @Option(help: "False discovery rate: suspects and findings with a q-value below it are significant.")
  var fdr = 0.05

  @Flag(help: "List every suspect in the table, also those that did not grow (the default lists the --top N that grew most), and every attribute value of the first suspects.")
  var all = false

  @Option(
    help: ArgumentHelp(
      "The smallest growth worth a star: a suspect is significant only when its growth is significantly larger. "
        + "Milliseconds (2ms) or a share of the gap (5%). Default 5% (of the gap, when the slow batch is "
        + "significantly slower; else 0).",
      valueName: "ms|share%"))
  var minEffect: MinimumEffect = .standard

  @Flag(help: "Also print the feature matrix's size and what it left out, on standard error.")
  var verbose = false

  @Flag(
    help: """
      Exit with status 3 when the slow batch is significantly slower and a suspect grew significantly \
      by more than the minimum effect (a CI gate: never for a faster batch, never for noise).
      """)
  var failOnSuspect = false

  func validate() throws {
    guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    guard fdr > 0, fdr < 1 else { throw ValidationError("--fdr must be between 0 and 1") }
  }

  var options: AnalysisOptions {
    AnalysisOptions(falseDiscoveryRate: fdr, minimumEffect: minEffect)
  }

  /// OpenBLAS threads for an analysis of `traces` traces, unless the user set
  /// OPENBLAS_NUM_THREADS: every core from 20,000 traces, else one (BLAS calls are then small,
  /// and threads would spin waiting for each other while the other core is busy).
  static func chooseBLASThreads(traces: Int) {
    guard ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil else { return }
    BLASThreads.set(traces >= 20_000 ? ProcessInfo.processInfo.activeProcessorCount : 1)
  }

  /// The documents that can be written, by their option.
  enum Export: String {
    case csv = "--csv"
    case json = "--json"
    case html = "--html"
  }

  var requested: [(export: Export, output: OutputFiles.Output)] {
    [(Export.csv, csv), (.json, json), (.html, html)].compactMap { export, path in
      path.map { (export: export, output: OutputFiles.Output(option: export.rawValue, path: $0)) }
    }
  }

  /// The output files, checked before any work: never onto an input, directories writable.
  func outputs(inputs: [String]) throws -> OutputFiles {
    try OutputFiles(requested.map(\.output), inputs: inputs)
  }

  /// Prints what was read and the ranking, writes the requested documents, and exits with
  /// status 3 under --fail-on-suspect when the gate fails (`LatencyAnalysis.failsGate`).
  func report(
    _ analysis: LatencyAnalysis, matrix: FeatureMatrix, reading: [String], question: String? = nil,
    cautions: [String] = [], context: ReportContext, to outputs: OutputFiles
  ) throws {
    // One line a batch, then each note once (both batches often share them), the endpoint
    // rule when it was inferred, and with --verbose the feature matrix.
    var printed = Set<String>()
    for line in reading.flatMap({ $0.split(separator: "\n").map(String.init) }) where printed.insert(line).inserted {
      printError(line)
    }
    for line in featureSummary(matrix).split(separator: "\n") where verbose || !line.hasPrefix("features:") {
      printError(String(line))
    }
    let colour = !outputs.usesStandardOutput && standardOutputWantsColour
    let table = TableExporter(
      limit: top, showAll: all, colour: colour, traceURL: traceURL, question: question, cautions: cautions
    ).render(analysis)
    if outputs.usesStandardOutput { printError(table) } else { print(table, terminator: "") }
    let exporters: [Export: any SuspectExporter] = [
      .csv: CSVExporter(), .json: JSONExporter(), .html: HTMLExporter(context: context),
    ]
    try outputs.write(requested.map { exporters[$0.export]?.render(analysis) ?? "" })
    for (export, output) in requested {
      let what =
        switch export {
        case .csv: "\(analysis.suspects.count) suspects and their findings"
        case .json: "the analysis"
        case .html: "the report"
        }
      printError("wrote \(what) to \(output.path == "-" ? "standard output" : output.path)")
    }
    if failOnSuspect && analysis.failsGate { throw ExitCode(3) }
  }
}

extension MinimumEffect: ExpressibleByArgument {
  /// `2ms` or `2` (milliseconds), `5%` (a share of the gap); never negative.
  public init?(argument: String) {
    let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
    if text.hasSuffix("%"), let percent = Double(text.dropLast()), percent.isFinite, percent >= 0 {
      self = .shareOfGap(percent / 100)
    } else if let millis = Double(text.hasSuffix("ms") ? String(text.dropLast(2)) : text), millis.isFinite, millis >= 0 {
      self = .millis(millis)
    } else {
      return nil
    }
  }

  public var defaultValueDescription: String {
    switch self {
    case .millis(let value): return "\(value)ms"
    case .shareOfGap(let share): return "\(share * 100)%"
    }
  }
}
