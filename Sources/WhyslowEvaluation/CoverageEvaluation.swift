import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowStatistics

/// How often the culprit's 95% interval held its true contribution over generated cases.
public struct CoverageOutcome: Sendable {
  public let cases: Int
  /// Cases whose culprit interval held the truth.
  public let covered: Int
  /// Cases whose culprit was starred.
  public let starred: Int
  /// The mean interval width over the truth, a measure of precision.
  public let meanRelativeWidth: Double
  /// Cases that could not be analysed, with the first reason.
  public let failures: Int
  public let failure: String?

  /// The coverage with its 95% Wilson interval.
  public var coverage: (rate: Double, low: Double, high: Double) { wilson(covered, cases - failures) }
}

/// The interval check on generated cases with a known truth: slow-span cases on the shop
/// topology (`Truth.expectedContributionMillis`), across batch sizes, effects and noise, each
/// analysed as a user would (written as Jaeger JSON, read back, default options). A 95%
/// interval should hold the truth in about 95% of cases.
public enum CoverageEvaluation {
  /// Batch sizes, effects (ms) and noise levels the cases cycle through.
  static let sizes = [60, 120, 250, 400]
  static let effects = [3.0, 8.0, 20.0]
  static let noises = [0.25, 0.5]

  /// Runs `cases` generated cases (seeds 1...cases).
  public static func run(cases: Int, options: AnalysisOptions) throws -> CoverageOutcome {
    let scratch = FileManager.default.temporaryDirectory
      .appendingPathComponent("whyslow-coverage-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: scratch) }
    var (covered, starred, failures, widths) = (0, 0, 0, 0.0)
    var failure: String?
    for index in 0..<cases {
      let size = sizes[index % sizes.count]
      let generated = try Generator.generate(
        GeneratorOptions(
          scenario: .slowSpan, topology: .shop, fastTraces: size, slowTraces: size, seed: UInt64(index + 1),
          effectMillis: effects[(index / sizes.count) % effects.count],
          noise: noises[(index / (sizes.count * effects.count)) % noises.count]))
      guard let truth = generated.truth.expectedContributionMillis,
        let culprit = generated.truth.causes.first?.first
      else { continue }
      let folder = scratch.appendingPathComponent("case-\(index)")
      defer { try? FileManager.default.removeItem(at: folder) }
      do {
        try TraceWriter(format: .jaeger).write(generated.fast, to: folder.appendingPathComponent("fast"))
        try TraceWriter(format: .jaeger).write(generated.slow, to: folder.appendingPathComponent("slow"))
        let matrix = FeatureMatrix(
          fast: try TraceReader.read(paths: [folder.appendingPathComponent("fast").path]),
          slow: try TraceReader.read(paths: [folder.appendingPathComponent("slow").path]))
        let analysis = try ContributionAnalysis.analyze(matrix, options: options)
        guard
          let suspect = analysis.suspects.first(where: {
            $0.key.service == culprit.service && $0.key.operation == culprit.operation
          })
        else { throw EvaluationError.badCase(index: index, reason: "the culprit is not among the suspects") }
        let estimate = suspect.contribution
        if estimate.low <= truth && truth <= estimate.high { covered += 1 }
        if suspect.isSignificant { starred += 1 }
        widths += (estimate.high - estimate.low) / truth
      } catch {
        failures += 1
        failure = failure ?? String(describing: error)
      }
    }
    let analysed = cases - failures
    return CoverageOutcome(
      cases: cases, covered: covered, starred: starred, meanRelativeWidth: widths / Double(max(analysed, 1)),
      failures: failures, failure: failure)
  }

  /// The outcome in a few lines.
  public static func render(_ outcome: CoverageOutcome) -> String {
    let rate = outcome.coverage
    let percent = { (value: Double) in String(format: "%.1f%%", value * 100) }
    var out =
      "Coverage of the culprit's 95% interval on \(outcome.cases - outcome.failures) generated slow-span cases "
      + "(shop; \(sizes.map(String.init).joined(separator: "/")) traces a batch, effects "
      + "\(effects.map { String(format: "%g", $0) }.joined(separator: "/")) ms, noise "
      + "\(noises.map { String(format: "%g", $0) }.joined(separator: "/"))):\n"
    out += "  covered \(outcome.covered): \(percent(rate.rate)) (95% interval \(percent(rate.low))-\(percent(rate.high)))\n"
    out += "  culprit starred: \(outcome.starred); mean interval width \(String(format: "%.2f", outcome.meanRelativeWidth)) × the truth\n"
    if let failure = outcome.failure { out += "  \(outcome.failures) cases failed: \(failure)\n" }
    return out
  }
}
