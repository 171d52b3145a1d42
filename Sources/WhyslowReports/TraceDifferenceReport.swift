import WhyslowStatistics

/// `whyslow diff` as text: the two latencies and the keys that account for the difference.
public struct TraceDifferenceReport {
  public let limit: Int

  public init(limit: Int) { self.limit = limit }

  public func render(_ difference: TraceDifference) -> String {
    var out = """
      A: \(difference.traceA), latency \(decimal(difference.latencyAMillis, 3)) ms
      B: \(difference.traceB), latency \(decimal(difference.latencyBMillis, 3)) ms
      B − A: \(decimal(difference.differenceMillis, 3)) ms, split over span keys by critical-path time:

      """
    let rows = difference.keys.prefix(limit).map { key -> [String] in
      let gaps = key.networkGapMillis.map { "network to \($0.callee) \(signed($0.millis)) ms" }
      return [
        signed(key.criticalMillis) + " ms", signed(key.selfMillis) + " ms", "\(key.countA) → \(key.countB)",
        key.key.description + (gaps.isEmpty ? "" : " (\(gaps.joined(separator: ", ")))"),
      ]
    }
    let header = ["critical path", "self-time", "spans", "span key"]
    out += alignedColumns([header] + rows, leftAligned: [header.count - 1])
    let shown = difference.keys.prefix(limit).reduce(0) { $0 + $1.criticalMillis }
    let total = difference.keys.reduce(0) { $0 + $1.criticalMillis }
    if difference.keys.count > limit {
      out += "(\(difference.keys.count - limit) more keys, \(signed(total - shown)) ms together; --top N shows more)\n"
    }
    return out
  }

  private func signed(_ value: Double) -> String { signedDecimal(value, 3) }
}
