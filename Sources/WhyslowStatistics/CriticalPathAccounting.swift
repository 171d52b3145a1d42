import WhyslowFeatures
import WhyslowLinalg

/// Stage 2, the exact accounting: critical-path times partition each trace's latency, so the
/// stratified differences of their means over span keys sum to the within-endpoint gap
/// exactly. Every key is a suspect with that difference as its growth; a client key whose
/// growth is mostly the growth of its network gap to one callee is "network to CALLEE from
/// KEY", charged to the callee.
struct CriticalPathAccounting {
  /// One suspect before inference.
  struct Candidate {
    let key: SpanKey
    /// The callee when the key's growth is mostly its network gap to it.
    let callee: String?

    /// "service operation", or "network to CALLEE from service operation" (the client key).
    var name: String { callee.map { "network to \($0) from \(key)" } ?? key.description }
    var service: String { callee ?? key.service }
  }

  let candidates: [Candidate]
  /// Rows × candidates: critical-path time, ms.
  let values: Matrix
  /// Each candidate's within-endpoint difference of means, ms.
  let growth: [Double]

  init(_ matrix: FeatureMatrix, _ strata: Strata) {
    let critical = matrix.columns.indices.filter { matrix.columns[$0].kind == .criticalTime }
    values = Matrix(rows: matrix.traceCount, columns: critical.count, values: matrix.columnMajor(critical))
    growth = strata.differences(values)
    let networkGrowth = strata.differences(matrix.networkGaps)
    var largestGap: [SpanKey: (callee: String, growth: Double)] = [:]
    for (column, gapGrowth) in zip(matrix.networkGaps.columns, networkGrowth) {
      let key = column.key
      let callee = column.peerService
      if let best = largestGap[key], (best.growth, callee) >= (gapGrowth, best.callee) { continue }
      largestGap[key] = (callee, gapGrowth)
    }
    candidates = zip(critical, growth).map { column, keyGrowth in
      let key = matrix.columns[column].key
      guard keyGrowth > 0, let gap = largestGap[key], gap.growth >= 0.5 * keyGrowth else {
        return Candidate(key: key, callee: nil)
      }
      return Candidate(key: key, callee: gap.callee)
    }
  }
}
