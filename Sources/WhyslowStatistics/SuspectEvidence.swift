import WhyslowFeatures
import WhyslowLinalg

/// Stage 3, how sure and how much: for each suspect a test of its growth where the effect
/// lives, its share of the slow batch's latency variance, its means and an example trace.
///
/// The test combines two looks by Bonferroni, p = min(1, 2·min(p_all, p_present)):
/// - p_all: the stratified difference of means over all traces over its standard error,
///   √Σₑ wₑ²(s²ₑ,slow/nₑ,slow + s²ₑ,fast/nₑ,fast) (normal);
/// - p_present: the van Elteren rank test over the traces that contain the key. Most traces
///   never call most keys, so over all traces the zeros of the others drown a large effect
///   on the few that do, and heavy tails inflate the variance of means; ranks among the
///   traces that call the key see it.
/// Each look is a valid test, so the combination keeps the false-alarm rate; the
/// Benjamini–Hochberg step across suspects follows in the verdict.
///
/// Variance: critical-path times sum to each trace's latency L, so over the slow batch
/// Var(L) = Σₖ Cov(CPₖ, L); a suspect's share is Cov(CPₖ, L)/Var(L), one BLAS `dgemv`.
struct SuspectEvidence {
  let pValues: [Double]
  let varianceShares: [Double]
  let fastMeans: [Double]
  let slowMeans: [Double]
  let exampleSlowTraceIDs: [String]

  init(_ matrix: FeatureMatrix, _ strata: Strata, _ accounting: CriticalPathAccounting) {
    let n = matrix.traceCount
    let values = accounting.values
    let countColumn = Dictionary(
      matrix.columns.indices.filter { matrix.columns[$0].kind == .count }.map { (matrix.columns[$0].key, $0) },
      uniquingKeysWith: { first, _ in first })
    pValues = accounting.candidates.indices.map { candidate in
      let column = values.column(candidate)
      let base = column.startIndex
      let allTraces = twoSidedPValue(
        accounting.growth[candidate], standardError: strata.varianceOfDifference(Array(column)).squareRoot())
      // A key without a count column has the same count in every trace: it is in all of them.
      let present = countColumn[accounting.candidates[candidate].key].map { count in
        matrix.column(count).map { $0 > 0 }
      }
      let presentTraces = strata.rankTestPValue(present: present) { column[base + $0] }
      let looks = [allTraces, presentTraces].filter { !$0.isNaN }
      return looks.min().map { min(1, Double(looks.count) * $0) } ?? .nan
    }

    let slowRows = (0..<n).filter { matrix.isSlow[$0] }
    let fastCount = Double(n - slowRows.count)
    let slowCount = Double(slowRows.count)
    let latency = matrix.latencyMillis
    let slowMean = slowRows.reduce(0) { $0 + latency[$1] } / slowCount
    var centered = [Double](repeating: 0, count: n)
    for row in slowRows { centered[row] = latency[row] - slowMean }
    let latencyVariance = centered.reduce(0) { $0 + $1 * $1 }
    varianceShares = values.transposeTimes(centered).map { latencyVariance > 0 ? $0 / latencyVariance : .nan }
    fastMeans = values.transposeTimes(matrix.isSlow.map { $0 ? 0 : 1 / fastCount })
    slowMeans = values.transposeTimes(matrix.isSlow.map { $0 ? 1 / slowCount : 0 })
    exampleSlowTraceIDs = (0..<values.columns).map { matrix.exampleSlowTrace(of: values.column($0), slowRows: slowRows) }
  }
}

extension FeatureMatrix {
  /// The id of the slow trace (among `slowRows`) where `column` is largest: one to open in a
  /// trace viewer.
  func exampleSlowTrace(of column: ArraySlice<Double>, slowRows: [Int]) -> String {
    let best = slowRows.max { column[column.startIndex + $0] < column[column.startIndex + $1] } ?? 0
    return traceIDs[best]
  }
}
