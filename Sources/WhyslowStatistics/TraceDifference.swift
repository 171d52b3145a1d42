import WhyslowFeatures

/// One span key's part in the latency difference of two traces.
public struct KeyDifference: Sendable {
  public let key: SpanKey
  /// Critical-path time in trace B minus in trace A, ms; these sum to the latency difference.
  public let criticalMillis: Double
  /// Self-time in B minus in A, ms.
  public let selfMillis: Double
  /// Spans of the key in A and in B.
  public let countA: Int
  public let countB: Int
  /// Network gap to each callee in B minus in A, ms.
  public let networkGapMillis: [(callee: String, millis: Double)]
}

/// The exact answer to "why is trace B slower than trace A": their latency difference split
/// over span keys by critical-path time (CRISP), which sums to it to the nanosecond.
public struct TraceDifference: Sendable {
  public let traceA: String
  public let traceB: String
  public let latencyAMillis: Double
  public let latencyBMillis: Double
  /// Keys whose critical time, self-time or count differ, largest critical growth first.
  public let keys: [KeyDifference]

  public var differenceMillis: Double { latencyBMillis - latencyAMillis }

  /// Compares row `a` (fast) with row `b` (slow) of a matrix built with every column kept.
  public init(_ matrix: FeatureMatrix, a: Int, b: Int) {
    traceA = matrix.traceIDs[a]
    traceB = matrix.traceIDs[b]
    latencyAMillis = matrix.latencyMillis[a]
    latencyBMillis = matrix.latencyMillis[b]
    var byKey: [SpanKey: (critical: Double, selfTime: Double, countA: Int, countB: Int, gaps: [(String, Double)])] = [:]
    for (index, column) in matrix.columns.enumerated() {
      let values = matrix.column(index)
      let va = values[values.startIndex + a]
      let vb = values[values.startIndex + b]
      var entry = byKey[column.key] ?? (0, 0, 0, 0, [])
      switch column.kind {
      case .criticalTime: entry.critical = vb - va
      case .selfTime: entry.selfTime = vb - va
      case .count: entry = (entry.critical, entry.selfTime, Int(va), Int(vb), entry.gaps)
      case .networkGap where vb != va: entry.gaps.append((column.peerService, vb - va))
      default: break
      }
      byKey[column.key] = entry
    }
    keys = byKey.compactMap { key, entry -> KeyDifference? in
      guard entry.critical != 0 || entry.selfTime != 0 || entry.countA != entry.countB else { return nil }
      return KeyDifference(
        key: key, criticalMillis: entry.critical, selfMillis: entry.selfTime, countA: entry.countA,
        countB: entry.countB, networkGapMillis: entry.gaps.sorted { $0.0 < $1.0 }.map { (callee: $0.0, millis: $0.1) })
    }
    .sorted { ($0.criticalMillis, $1.key) > ($1.criticalMillis, $0.key) }
  }
}
