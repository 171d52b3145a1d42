import Foundation
import WhyslowFeatures
import WhyslowLinalg

/// Explains the slow−fast latency gap in milliseconds, with confidence. Data flows one way
/// through six stages, each a type of its own:
///
/// 1. `Strata`: Δ splits into a within-endpoint gap W = Σₑ wₑ(μₑ,slow − μₑ,fast), wₑ the slow
///    batch's mix over endpoints both batches have, and the endpoint mix Δ − W.
/// 2. `CriticalPathAccounting`: critical-path times partition each trace's latency, so the
///    stratified differences of their means over span keys (the suspects) sum to W exactly.
/// 3. `SuspectEvidence`: a test of each suspect's growth where the effect lives, its share of
///    the slow batch's latency variance, its means.
/// 4. `SuspectExplanation`: each explained suspect's growth decomposed over its own features
///    (one shared design, all suspects as responses at once) plus a remainder.
/// 5. `BootstrapDraws`: 95% intervals by a bootstrap over traces within each endpoint and batch.
/// 6. `Verdict`: q-values (Benjamini–Hochberg), the one ranking (services by total, suspects
///    under them), caveats.
/// References: Oaxaca (1973); Blinder (1973); MacKinnon & White (1985); Benjamini & Hochberg
/// (1995); Efron & Tibshirani (1993); van Elteren (1960).
public enum ContributionAnalysis {
  /// Fewest traces per batch for which a mean and a slope can be estimated at all.
  public static let minimumTracesPerBatch = 2

  public static func analyze(_ matrix: FeatureMatrix, options: AnalysisOptions = AnalysisOptions()) throws
    -> LatencyAnalysis
  {
    let n = matrix.traceCount
    let slowCount = matrix.isSlow.filter { $0 }.count
    let fastCount = n - slowCount
    guard fastCount >= minimumTracesPerBatch, slowCount >= minimumTracesPerBatch else {
      throw StatisticsError.tooFewTraces(fast: fastCount, slow: slowCount, needed: minimumTracesPerBatch)
    }
    let strata = Strata(matrix)
    let y = matrix.latencyMillis
    let unit = [Double](repeating: 1, count: n)
    let fastLatency = strata.batchMean(y, weights: unit, slow: false)
    let slowLatency = strata.batchMean(y, weights: unit, slow: true)
    let gap = slowLatency - fastLatency
    let within = strata.differences(Matrix(rows: n, columns: 1, values: y), weights: unit)[0]

    let accounting = CriticalPathAccounting(matrix, strata)
    let explained = SuspectExplanation.explainedSuspects(accounting, options: options)
    // The explanation (stage 4) beside what does not need it: the evidence (stage 3), the
    // bootstrap's replicates and growth draws (stage 5), the attribute effects.
    let ((evidence, growthDraws, attributeEffects), explanation) = try sideBySide(
      {
        (
          SuspectEvidence(matrix, strata, accounting), BootstrapDraws(strata, accounting, options: options),
          AttributeEffects.attributeEffects(matrix, keys: Set(explained.map { accounting.candidates[$0].key }))
        )
      },
      { try SuspectExplanation(matrix, strata, accounting, explained: explained, options: options) })
    var draws = growthDraws
    draws.explain(explanation, strata, options: options)
    let level = options.falseDiscoveryRate
    let ranking = Verdict.ranked(
      Verdict.suspects(accounting, evidence, explanation, draws, gap: gap, level: level), gap: gap)
    return LatencyAnalysis(
      fastTraces: fastCount, slowTraces: slowCount, fastMeanLatencyMillis: fastLatency,
      slowMeanLatencyMillis: slowLatency, withinEndpointGapMillis: within,
      endpointMix: strata.mix(), suspects: ranking.suspects, services: ranking.services,
      attributeEffects: attributeEffects,
      distributions: distributions(ranking.suspects, accounting, matrix),
      typicalTraces: typicalTraces(matrix, strata), falseDiscoveryRate: level,
      caveats: Verdict.caveats(
        gap: gap, suspects: ranking.suspects, level: level, smallerBatch: min(fastCount, slowCount),
        strata: strata, traces: n))
  }

  /// Quantiles of the critical-path time of the first five suspects that grew.
  private static func distributions(
    _ suspects: [Suspect], _ accounting: CriticalPathAccounting, _ matrix: FeatureMatrix
  ) -> [SuspectDistribution] {
    let column = Dictionary(accounting.candidates.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { first, _ in first })
    return suspects.filter { $0.contribution.value > 0 }.prefix(5).compactMap { suspect in
      guard let index = column[suspect.key] else { return nil }
      let values = accounting.values.column(index)
      func quantiles(slow: Bool) -> (quantiles: [Double], share: Double) {
        let batch = zip(values, matrix.isSlow).filter { $0.1 == slow }.map(\.0)
        let sorted = batch.filter { $0 > 0 }.sorted()
        guard !sorted.isEmpty else { return ([], 0) }
        return ((0...100).map { percentile(sorted, Double($0) / 100) }, Double(sorted.count) / Double(batch.count))
      }
      let (fast, slow) = (quantiles(slow: false), quantiles(slow: true))
      return SuspectDistribution(
        key: suspect.key, fastQuantiles: fast.quantiles, slowQuantiles: slow.quantiles, fastShareOnPath: fast.share,
        slowShareOnPath: slow.share)
    }
  }

  /// Per endpoint both batches have, most slow traces first: the trace of median latency in
  /// each batch.
  private static func typicalTraces(_ matrix: FeatureMatrix, _ strata: Strata) -> [(endpoint: SpanKey, fast: String, slow: String)] {
    let rowsOf = Dictionary(grouping: matrix.traceIDs.indices, by: { matrix.entryPoints[$0] })
    return strata.mix().compactMap { entry in
      func median(slow: Bool) -> String? {
        let rows = (rowsOf[entry.endpoint] ?? []).filter { matrix.isSlow[$0] == slow }
          .sorted { (matrix.latencyMillis[$0], matrix.traceIDs[$0]) < (matrix.latencyMillis[$1], matrix.traceIDs[$1]) }
        return rows.isEmpty ? nil : matrix.traceIDs[rows[rows.count / 2]]
      }
      guard let fast = median(slow: false), let slow = median(slow: true) else { return nil }
      return (entry.endpoint, fast, slow)
    }
  }
}
