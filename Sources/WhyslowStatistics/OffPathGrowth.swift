import WhyslowFeatures

/// Work that grew off the critical path: a span key whose self-time grew significantly by more
/// than the minimum effect while its time on the critical path grew by less than half as much
/// (asynchronous work, a parallel branch that still finishes first). It does not slow requests,
/// so it is no suspect; but a user who sees it grow in a trace viewer doubts an answer that is
/// silent about it, so the outputs name it. Tested like the suspects: a stratified Welch t test
/// against the minimum effect, Benjamini–Hochberg over every key's self-time.
public struct OffPathGrowth: Sendable {
  public let key: SpanKey
  /// The within-endpoint growth of the key's summed self-time per trace, ms.
  public let selfTimeGrowth: Estimate
  /// The within-endpoint growth of its time on the critical path, ms.
  public let criticalGrowthMillis: Double

  /// The keys that grew off the critical path, largest growth first.
  static func find(
    _ matrix: FeatureMatrix, _ strata: Strata, _ accounting: CriticalPathAccounting, minimumEffect: Double,
    level: Double
  ) -> [OffPathGrowth] {
    let criticalGrowth = accounting.keyGrowth
    let selfTime = matrix.columns.indices.filter { matrix.columns[$0].kind == .selfTime }
    let tests = selfTime.map { strata.differenceTest(matrix.column($0)) }
    let p = tests.map { $0.pValue(minimumEffect: minimumEffect) }
    let q = benjaminiHochberg(p)
    return selfTime.indices.compactMap { index -> OffPathGrowth? in
      let key = matrix.columns[selfTime[index]].key
      let growth = tests[index].estimate
      let critical = criticalGrowth[key] ?? 0
      guard growth > 0, q[index] < level, critical < 0.5 * growth else { return nil }
      return OffPathGrowth(
        key: key, selfTimeGrowth: Estimate(tests[index], pValue: p[index], qValue: q[index]),
        criticalGrowthMillis: critical)
    }.sorted { ($0.selfTimeGrowth.value, $1.key) > ($1.selfTimeGrowth.value, $0.key) }
  }
}
