import ArgumentParser
import Foundation
import WhyslowEvaluation
import WhyslowReports
import WhyslowStatistics

struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure how often whyslow names the right culprit, beside naive rankings.",
    discussion: """
      Generates every case of the suite manifest (scenario, topology, seed, batch sizes, \
      format, effect size, noise) into a temporary folder, reads and analyses it as a user \
      would, and prints per cause kind: culprit first (AC@1), culprit in the top 3 (AC@3), \
      the same for two hand rankings (span keys by mean span-duration difference, and by mean \
      self-time difference), false alarms where there is no cause (a significant suspect), \
      and whyslow's runtime per case. With two causes a case counts as found when both are.

      With --real, the same table for real fault-injection cases (Datasets/nezha.json lists \
      them: the fault-free minute as fast, the fault minutes as slow, the faulty service as \
      truth; a network-gap suspect counts for its callee).

      With --null, A/A splits instead: each PATH (a fault-free stretch of traces) is dealt \
      into two random halves by trace id, --splits times, and half A is analysed against half B \
      on default options. Nothing differs between the halves, so every split that stars a \
      suspect is a false alarm; the table gives their share with a 95% interval, beside the \
      splits with a starred finding, those that would fail --fail-on-suspect, and those whose \
      gap was significant.

      With --coverage N, N generated slow-span cases whose culprit's true contribution is \
      known in closed form: how often its 95% interval holds it.

      Examples:
        whyslow eval --real ../shared/datasets/real/nezha --markdown eval.md
        whyslow eval --null nezha/construct_data/2023-01-30/trace/11_39_trace.csv \
          --null nezha/construct_data/2022-08-23/trace/17_00_trace.csv
        whyslow eval --coverage 600
      """
  )

  @Option(help: ArgumentHelp("The suite manifest.", valueName: "file"))
  var suite = "Datasets/suite.json"

  @Option(help: ArgumentHelp("A folder holding the Nezha traces named in Datasets/nezha.json.", valueName: "dir"))
  var real: String?

  @Option(help: ArgumentHelp("The real cases' manifest.", valueName: "file"))
  var realManifest = "Datasets/nezha.json"

  @Option(help: ArgumentHelp("Also write the tables as Markdown (replaced atomically).", valueName: "file"))
  var markdown: String?

  @Option(help: "False discovery rate at which findings are significant.")
  var fdr = 0.05

  @Option(
    help: ArgumentHelp("The smallest growth worth a star, as for analyze (2ms, or 5% of the gap).", valueName: "ms|share%"))
  var minEffect: MinimumEffect = .standard

  @Option(
    name: .customLong("null"),
    help: ArgumentHelp("A fault-free input (file or folder) to split A/A; repeat for more.", valueName: "path"))
  var nullInputs: [String] = []

  @Option(help: "A/A splits per --null input.")
  var splits = 100

  @Option(help: ArgumentHelp("Check the intervals' coverage on this many generated cases.", valueName: "n"))
  var coverage: Int?

  func validate() throws {
    guard fdr > 0, fdr < 1 else { throw ValidationError("--fdr must be between 0 and 1") }
    guard splits >= 1 else { throw ValidationError("--splits must be at least 1") }
    guard (coverage ?? 1) >= 1 else { throw ValidationError("--coverage must be at least 1") }
  }

  func run() throws {
    let options = AnalysisOptions(falseDiscoveryRate: fdr, minimumEffect: minEffect)
    if let coverage {
      printError("checking interval coverage on \(coverage) generated cases")
      print(CoverageEvaluation.render(try CoverageEvaluation.run(cases: coverage, options: options)), terminator: "")
      return
    }
    guard nullInputs.isEmpty else {
      let outcomes = try nullInputs.map { path in
        printError("splitting \(path) A/A \(splits) times")
        return try NullEvaluation.run(paths: [path], label: path, splits: splits, options: options)
      }
      print(NullEvaluation.render(outcomes, fdr: fdr, markdown: false), terminator: "")
      if let markdown { try writeAtomically(NullEvaluation.render(outcomes, fdr: fdr, markdown: true), to: markdown) }
      return
    }
    let manifest = try decode(SuiteManifest.self, from: suite)
    printError("evaluating \(manifest.cases.count) generated cases from \(suite)")
    var reports = [EvaluationReport(title: "Generated suite (\(suite))", outcomes: try Evaluation.run(manifest, options: options))]
    if let real {
      var cases = try decode(RealManifest.self, from: realManifest)
      cases.root = real
      printError("evaluating \(cases.cases.count) real cases from \(real)")
      reports.append(EvaluationReport(title: "Real cases (\(realManifest))", outcomes: Evaluation.run(cases, options: options)))
    }
    print(reports.map { $0.render(markdown: false) }.joined(separator: "\n"), terminator: "")
    if let markdown {
      try writeAtomically(reports.map { $0.render(markdown: true) }.joined(separator: "\n"), to: markdown)
    }
  }

  private func decode<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
    do {
      return try JSONDecoder().decode(type, from: Data(contentsOf: URL(fileURLWithPath: path)))
    } catch let error as DecodingError {
      throw ValidationError("\(path): not a valid manifest: \(error)")
    } catch {
      throw ValidationError("\(path): cannot read: \(error.localizedDescription)")
    }
  }
}
