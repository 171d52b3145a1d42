import ArgumentParser
import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowLinalg
import WhyslowReports
import WhyslowStatistics

struct Analyze: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Rank the spans that make the slow traces slower than the fast ones.",
    discussion: """
      Reads traces from files or directories (searched recursively): Jaeger JSON, OTLP JSON \
      (also JSON Lines), Zipkin v2 JSON or span-table CSV, any of them gzip-compressed, the \
      format detected per file (see `whyslow inspect --help`).

      Every trace becomes span features per service and operation (self-time, critical-path \
      time, count, start offset, wait, network gap, errors, depth, attributes). Traces are \
      compared within their entry point; the gap splits into a within-endpoint part and the \
      endpoint mix. Suspects are the span keys whose critical-path time grew (that accounting \
      adds up to the within-endpoint gap exactly), or the network to a callee; findings say \
      why: a ridge regression of latency on the features (LAPACK, penalty by generalized \
      cross-validation), each feature's contribution = coefficient × difference of means, \
      tested with HC3 errors. Every number carries a 95% bootstrap interval and a \
      Benjamini–Hochberg q-value; with nothing significant the table says so and shows best \
      guesses.

      The ranking goes to standard output; what was read goes to standard error.

      Example:
        whyslow analyze --fast Datasets/demo/fast --slow Datasets/demo/slow --csv suspects.csv
      """
  )

  @Option(
    parsing: .upToNextOption,
    help: ArgumentHelp("Baseline traces: files or directories (- for standard input).", valueName: "path"))
  var fast: [String]

  @Option(
    parsing: .upToNextOption,
    help: ArgumentHelp("Traces of the slow period: files or directories.", valueName: "path"))
  var slow: [String]

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

  @Option(help: "How many suspects the terminal table shows.")
  var top = 10

  @Option(help: "False discovery rate: suspects and findings with a q-value below it are significant.")
  var fdr = 0.05

  @Flag(help: "Show suspects that are not significant too.")
  var all = false

  @Option(help: "Bootstrap replicates for the 95% intervals.")
  var bootstrap = 200

  @Option(help: "Seed of the bootstrap; the same inputs and seed give byte-identical output.")
  var seed: UInt64 = 1

  @Flag(help: "Exit with status 3 when a significant suspect is found (for CI gates).")
  var failOnSuspect = false

  @OptionGroup var input: InputOptions

  @OptionGroup var features: FeatureArguments

  func validate() throws {
    guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    guard fdr > 0, fdr < 1 else { throw ValidationError("--fdr must be between 0 and 1") }
    guard bootstrap >= 20 else { throw ValidationError("--bootstrap needs at least 20 replicates for a 95% interval") }
    guard (fast + slow).filter({ $0 == "-" }).count <= 1 else {
      throw ValidationError("standard input (-) can be read only once")
    }
  }

  func run() throws {
    // Every output is checked before any work: never onto an input, directories writable.
    let requested = [("--csv", csv), ("--json", json), ("--html", html)].compactMap { option, path in
      path.map { OutputFiles.Output(option: option, path: $0) }
    }
    let outputs = try OutputFiles(requested, inputs: fast + slow)
    // Files are parsed on both cores without BLAS; the analysis then gets every core, unless
    // the user set OPENBLAS_NUM_THREADS.
    let userThreads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] != nil
    if !userThreads { BLASThreads.set(1) }
    let fastTable = try TraceReader.read(paths: fast, options: input.readOptions)
    let slowTable = try TraceReader.read(paths: slow, options: input.readOptions)
    if !userThreads { BLASThreads.set(ProcessInfo.processInfo.activeProcessorCount) }
    printError(readingSummary(BatchSummary(fastTable), name: "fast"))
    printError(readingSummary(BatchSummary(slowTable), name: "slow"))
    let matrix = FeatureMatrix(fast: fastTable, slow: slowTable, options: features.options)
    printError(featureSummary(matrix))
    let analysis = try ContributionAnalysis.analyze(
      matrix, options: AnalysisOptions(falseDiscoveryRate: fdr, bootstrapReplicates: bootstrap, seed: seed))
    let table = TableExporter(limit: top, showAll: all).render(analysis)
    if outputs.usesStandardOutput { printError(table) } else { print(table, terminator: "") }
    let exporters: [String: any SuspectExporter] = [
      "--csv": CSVExporter(), "--json": JSONExporter(), "--html": HTMLExporter(),
    ]
    try outputs.write(requested.map { exporters[$0.option]?.render(analysis) ?? "" })
    for output in requested {
      let what = output.option == "--csv" ? "\(analysis.suspects.count) suspects and their findings" : output.option == "--json" ? "the analysis" : "the report"
      printError("wrote \(what) to \(output.path == "-" ? "standard output" : output.path)")
    }
    if failOnSuspect && analysis.hasSignificantSuspect { throw ExitCode(3) }
  }
}
