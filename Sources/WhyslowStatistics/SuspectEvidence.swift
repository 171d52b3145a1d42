import WhyslowFeatures
import WhyslowLinalg

/// Stage 3, how sure and how much: for each suspect a t test of its growth, its share of the
/// slow batch's latency variance, its means and an example trace.
///
/// The test: the growth d (the stratified difference of mean critical-path time) over its
/// standard error, √Σₑ wₑ²vₑ (`Strata.varianceOfDifference`: Welch variances where an
/// endpoint's cells are large enough, pooled over the endpoint where they are not, never below
/// the timings' rounding), against Student's t with Welch–Satterthwaite degrees of freedom.
/// The same t gives the 95% interval, so the test and the interval tell one story. It is
/// measured on real A/A splits (`whyslow eval --null`): tests that trusted one-trace cells, a
/// normal reference and a rank test over rounded, tied timings starred noise in most splits.
///
/// Variance: critical-path times sum to each trace's latency L, so over the slow batch
/// Var(L) = Σₖ Cov(CPₖ, L); a suspect's share is Cov(CPₖ, L)/Var(L), one BLAS `dgemv`.
///
///
/// Independent filtering: a suspect is tested only if some split of the traces it was measured
/// on could make its growth or shrinkage exceed the minimum effect δ
/// (`Strata.largestPossibleDifference` > δ); the others cannot be starred, and they are left
/// out of the Benjamini–Hochberg family (q = 1). The bound does not depend on which trace is
/// in which batch, so the filter keeps the false discovery rate while the tests that can matter
/// stop paying for the hundreds that cannot.
/// Reference: Bourgon, Gentleman & Huber (2010), PNAS 107(21).
struct SuspectEvidence {
  let tests: [TTest]
  /// Whether each suspect's mean over both batches lets it pass the minimum effect.
  let canExceed: [Bool]
  let varianceShares: [Double]
  let fastMeans: [Double]
  let slowMeans: [Double]
  let exampleSlowTraceIDs: [String]
  let exampleFastTraceIDs: [String]

  init(_ matrix: FeatureMatrix, _ strata: Strata, _ accounting: CriticalPathAccounting, minimumEffect: Double) {
    let n = matrix.traceCount
    let values = accounting.values
    canExceed = accounting.candidates.indices.map { candidate in
      let column = values.column(candidate)
      return column.contains { $0 != 0 } && strata.largestPossibleDifference(column) > minimumEffect
    }
    tests = accounting.candidates.indices.map { candidate in
      let (variance, degrees) = strata.varianceOfDifference(values.column(candidate))
      return TTest(
        estimate: accounting.growth[candidate], standardError: variance.squareRoot(), degreesOfFreedom: degrees)
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
    let fastRows = (0..<n).filter { !matrix.isSlow[$0] }
    exampleSlowTraceIDs = (0..<values.columns).map { matrix.typicalTrace(of: values.column($0), rows: slowRows) }
    exampleFastTraceIDs = (0..<values.columns).map { matrix.typicalTrace(of: values.column($0), rows: fastRows) }
  }
}

extension FeatureMatrix {
  /// A typical trace of `rows` (one batch's) for a column: among them where it is not zero, the
  /// one at its median (the lower one; ties by trace id), not the most extreme, so that the
  /// trace an SRE opens shows the usual case. Any of them when the column is zero in all.
  func typicalTrace(of column: ArraySlice<Double>, rows: [Int]) -> String {
    let value = { (row: Int) in column[column.startIndex + row] }
    // Trace ids compared only between equal values: most comparisons never touch a string.
    let present = rows.filter { value($0) != 0 }.sorted { one, other in
      let (x, y) = (value(one), value(other))
      return x != y ? x < y : traceIDs[one] < traceIDs[other]
    }
    guard !present.isEmpty else { return rows.first.map { traceIDs[$0] } ?? "" }
    return traceIDs[present[(present.count - 1) / 2]]
  }
}
