import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowStatistics

/// What A/A splits of one fault-free input did: how often whyslow claimed a difference where
/// there is none.
public struct NullOutcome: Sendable {
  /// The input, as given.
  public let label: String
  public let traces: Int
  public let splits: Int
  /// Splits with at least one significant suspect (a star in the table).
  public let starred: Int
  /// Splits with a significant finding or attribute value.
  public let starredFindings: Int
  /// Splits where `--fail-on-suspect` would exit 3.
  public let gateFailures: Int
  /// Splits whose slow half was significantly slower.
  public let slowerGaps: Int
  /// Splits that could not be analysed (too few traces in a half), with the first reason.
  public let failures: Int
  public let failure: String?

  /// The share of analysed splits with a star, with its 95% Wilson score interval.
  public var falseAlarmRate: (rate: Double, low: Double, high: Double) {
    wilson(starred, splits - failures)
  }
}

/// A/A evaluation: the traces of one input (a fault-free stretch) dealt into two halves at
/// random by trace id, half A analysed as fast against half B as slow, many times. Nothing
/// differs between the halves, so every star is a false alarm: the share of splits with one
/// measures the false-alarm rate the false discovery rate promises to keep near `--fdr`.
public enum NullEvaluation {
  /// Runs `splits` A/A splits of the traces read from `paths` (one input).
  public static func run(
    paths: [String], label: String, splits: Int, options: AnalysisOptions, features: FeatureOptions = FeatureOptions()
  ) throws -> NullOutcome {
    let table = try TraceReader.read(paths: paths)
    let ids = (0..<table.traceCount).map { table.traceID($0) }
    var (starred, findings, gate, slower, failures) = (0, 0, 0, 0, 0)
    var failure: String?
    for split in 0..<splits {
      let inB = ids.map { half(of: $0, split: split) }
      let matrix = FeatureMatrix(
        fast: table.traces(where: inB.map { !$0 }), slow: table.traces(where: inB), options: features)
      do {
        let analysis = try ContributionAnalysis.analyze(matrix, options: options)
        if analysis.hasSignificantSuspect { starred += 1 }
        let level = analysis.falseDiscoveryRate
        if analysis.suspects.contains(where: { $0.explanation.contains { $0.isSignificant(at: level) } })
          || analysis.attributeBreakdown.contains(where: \.isSignificant)
        {
          findings += 1
        }
        if analysis.failsGate { gate += 1 }
        if analysis.isSignificantlySlower { slower += 1 }
      } catch {
        failures += 1
        failure = failure ?? String(describing: error)
      }
    }
    return NullOutcome(
      label: label, traces: table.traceCount, splits: splits, starred: starred, starredFindings: findings,
      gateFailures: gate, slowerGaps: slower, failures: failures, failure: failure)
  }

  /// Whether a trace goes to half B in split `split`: a keyed hash of its id (FNV-1a, then a
  /// SplitMix64 step keyed by the split), so the halves do not depend on the order of traces.
  static func half(of traceID: String, split: Int) -> Bool {
    let hash = traceID.utf8.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    return SeededRandom.uniform(keyedBy: hash ^ (UInt64(split + 1) &* 0x9E37_79B9_7F4A_7C15)) < 0.5
  }

  /// The outcomes as a table (Markdown when `markdown`).
  public static func render(_ outcomes: [NullOutcome], fdr: Double, markdown: Bool) -> String {
    let header = ["input", "traces", "splits", "starred suspect", "95% interval", "starred finding", "gate (exit 3)", "gap significant"]
    let rows = outcomes.map { outcome -> [String] in
      let rate = outcome.falseAlarmRate
      let analysed = outcome.splits - outcome.failures
      return [
        outcome.label, "\(outcome.traces)", "\(analysed)" + (outcome.failures > 0 ? " (\(outcome.failures) failed)" : ""),
        "\(outcome.starred) (\(percent(rate.rate)))", "\(percent(rate.low))-\(percent(rate.high))",
        "\(outcome.starredFindings)", "\(outcome.gateFailures)", "\(outcome.slowerGaps)",
      ]
    }
    let title =
      "A/A splits (nothing differs: every star is a false alarm; at a false discovery rate of \(fdr), "
      + "at most about \(percent(fdr)) of splits may star anything)\n"
    return title + EvaluationReport.table(header: header, rows: rows, markdown: markdown)
      + outcomes.compactMap { outcome in outcome.failure.map { "  \(outcome.label): \(outcome.failures) splits failed: \($0)\n" } }
      .joined()
  }
}

/// The 95% Wilson score interval of `successes` in `trials`: (rate, low, high).
/// Reference: Wilson (1927), JASA 22(158).
func wilson(_ successes: Int, _ trials: Int) -> (rate: Double, low: Double, high: Double) {
  guard trials > 0 else { return (.nan, .nan, .nan) }
  let (n, p, z) = (Double(trials), Double(successes) / Double(trials), 1.959_963_984_540_054)
  let center = (p + z * z / (2 * n)) / (1 + z * z / n)
  let half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
  return (p, max(0, center - half), min(1, center + half))
}

private func percent(_ value: Double) -> String { value.isNaN ? "–" : String(format: "%.0f%%", value * 100) }
