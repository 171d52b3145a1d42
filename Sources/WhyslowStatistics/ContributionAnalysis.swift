import Foundation
import WhyslowFeatures
import WhyslowLinalg

/// Explains the slow−fast latency gap in milliseconds, with confidence. Data flows one way
/// through six stages, each a type of its own:
///
/// 1. `Strata`: Δ splits into a within-endpoint gap W = Σₑ wₑ(μₑ,slow − μₑ,fast), wₑ endpoint
///    e's share of both batches' traces over endpoints both have, and the endpoint mix Δ − W.
/// 2. `CriticalPathAccounting`: critical-path times partition each trace's latency, so the
///    stratified differences of their means over span keys (the suspects) sum to W exactly.
/// 3. `SuspectEvidence`: a t test of each suspect's growth (Welch–Satterthwaite), its share of
///    the slow batch's latency variance, its means.
/// 4. `SuspectExplanation`: each explained suspect's growth decomposed over its own features
///    (one shared design, all suspects as responses at once) plus a remainder.
/// 5. `Verdict`: the tests against the minimum effect, q-values (Benjamini–Hochberg), the one
///    ranking, caveats.
/// 6. `AttributeBreakdown`: the first suspects split by the values of the attributes that vary
///    on their keys (which pod, version, host), each value's growth tested like a suspect's.
/// References: Oaxaca (1973); Blinder (1973); MacKinnon & White (1985); Benjamini & Hochberg
/// (1995); Welch (1947); Satterthwaite (1946).
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
    let fastLatency = strata.batchMean(y[...], slow: false)
    let slowLatency = strata.batchMean(y[...], slow: true)
    let gap = slowLatency - fastLatency
    // Welch's t test of the gap, both batches whole (not stratified: the question is whether
    // slow requests are slower, whatever their endpoints).
    let gapTest = TTest.welch(
      slow: zip(y, matrix.isSlow).filter { $0.1 }.map(\.0), fast: zip(y, matrix.isSlow).filter { !$0.1 }.map(\.0),
      estimate: gap)
    let gapEstimate = Estimate(gapTest, pValue: gapTest.pValue(), qValue: .nan)
    // W's own test, stratified like the suspects': with many endpoints of unequal weight the
    // mix makes Δ noisy while requests of the same endpoints are plainly slower.
    let withinTest = strata.differenceTest(y[...])
    let within = Estimate(withinTest, pValue: withinTest.pValue(), qValue: .nan)
    let slowerBy = LatencyAnalysis.slowerBy(gap: gapEstimate, within: within)
    let minimumEffect = options.minimumEffect.millis(gap: slowerBy ?? 0)
    let sharedGap = slowerBy ?? gap

    let accounting = CriticalPathAccounting(matrix, strata)
    let explained = SuspectExplanation.explainedSuspects(accounting, options: options)
    // The explanation (stage 4) beside what does not need it: the evidence (stage 3).
    let (evidence, explanation) = try sideBySide(
      { SuspectEvidence(matrix, strata, accounting, minimumEffect: minimumEffect) },
      { try SuspectExplanation(matrix, strata, accounting, explained: explained, options: options) })
    let level = options.falseDiscoveryRate
    let ranking = Verdict.ranked(
      Verdict.suspects(
        accounting, evidence, explanation, gap: sharedGap, minimumEffect: minimumEffect, level: level),
      gap: sharedGap)
    return LatencyAnalysis(
      fastTraces: fastCount, slowTraces: slowCount, fastMeanLatencyMillis: fastLatency,
      slowMeanLatencyMillis: slowLatency, gap: gapEstimate, minimumEffectMillis: minimumEffect,
      withinEndpointGap: within,
      endpointMix: strata.mix(), suspects: ranking.suspects, services: ranking.services,
      attributeBreakdown: AttributeBreakdown.rows(
        ranking.suspects, accounting, matrix, minimumEffect: minimumEffect, level: level),
      distributions: distributions(ranking.suspects, accounting, matrix),
      typicalTraces: typicalTraces(matrix, strata),
      offPathGrowth: OffPathGrowth.find(matrix, strata, accounting, minimumEffect: minimumEffect, level: level),
      falseDiscoveryRate: level,
      caveats: Verdict.caveats(
        gap: gapEstimate, within: within, suspects: ranking.suspects, level: level, smallerBatch: min(fastCount, slowCount),
        strata: strata, traces: n))
  }

  /// Quantiles of the critical-path time of the first five suspects that grew.
  private static func distributions(
    _ suspects: [Suspect], _ accounting: CriticalPathAccounting, _ matrix: FeatureMatrix
  ) -> [SuspectDistribution] {
    suspects.filter { $0.contribution.value > 0 }.prefix(5).compactMap { suspect in
      guard let values = accounting.criticalTimes(of: suspect) else { return nil }
      func quantiles(slow: Bool) -> (quantiles: [Double], share: Double) {
        let batch = zip(values, matrix.isSlow).filter { $0.1 == slow }.map(\.0)
        let sorted = batch.filter { $0 > 0 }.sorted()
        guard !sorted.isEmpty else { return ([], 0) }
        return ((0...100).map { percentile(sorted, Double($0) / 100) }, Double(sorted.count) / Double(batch.count))
      }
      let (fast, slow) = (quantiles(slow: false), quantiles(slow: true))
      return SuspectDistribution(
        name: suspect.name, key: suspect.key, fastQuantiles: fast.quantiles, slowQuantiles: slow.quantiles, fastShareOnPath: fast.share,
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
