import WhyslowIngest

/// How one batch of traces is labelled fast and slow.
public enum SlowRule: Sendable, Equatable {
  /// Slow when the latency is above this many milliseconds.
  case above(millis: Double)
  /// Slow when the latency is above the q-quantile of its endpoint's latencies (linear
  /// interpolation between closest ranks), so every endpoint is split at its own tail.
  case quantile(Double)
  /// Slow when the trace starts at or after this time (nanoseconds since the epoch): before
  /// and after a deploy or an incident.
  case startingAt(nanos: Int64)
}

/// Picking and labelling traces before the analysis: filters by entry point or service, and
/// the split of one batch into fast and slow.
public enum TraceSelection {
  /// The traces whose entry point (root span key, "service operation", or just its operation)
  /// is `endpoint` and that have a span of `service`; nil keeps every trace.
  public static func filter(_ table: SpanTable, endpoint: String?, service: String?) -> SpanTable {
    guard endpoint != nil || service != nil else { return table }
    let roots = table.rootRows()
    let keys = FeatureMatrix.spanKeys(of: table)
    var keep = roots.map { root in
      guard let endpoint else { return true }
      return root >= 0 && (keys[root].description == endpoint || keys[root].operation == endpoint)
    }
    if let service {
      var touches = [Bool](repeating: false, count: table.traceCount)
      for span in 0..<table.spanCount where table.strings[Int(table.service[span])] == service {
        touches[Int(table.traceIndex[span])] = true
      }
      keep = zip(keep, touches).map { $0 && $1 }
    }
    return table.traces(where: keep)
  }

  /// The batch split by `rule`: (fast, slow).
  public static func split(_ table: SpanTable, by rule: SlowRule) -> (fast: SpanTable, slow: SpanTable) {
    let roots = table.rootRows()
    let latency = roots.map { $0 < 0 ? 0 : Double(table.durationNanos[$0]) / 1_000_000 }
    let slow: [Bool]
    switch rule {
    case .above(let millis):
      slow = latency.map { $0 > millis }
    case .startingAt(let nanos):
      slow = roots.map { $0 >= 0 && table.startNanos[$0] >= nanos }
    case .quantile(let q):
      let keys = FeatureMatrix.spanKeys(of: table)
      let endpoint = roots.map { $0 < 0 ? SpanKey(service: "", operation: "") : keys[$0] }
      var byEndpoint: [SpanKey: [Double]] = [:]
      for (trace, key) in endpoint.enumerated() { byEndpoint[key, default: []].append(latency[trace]) }
      let cut = byEndpoint.mapValues { values -> Double in
        let sorted = values.sorted()
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
      }
      slow = latency.indices.map { latency[$0] > (cut[endpoint[$0]] ?? .infinity) }
    }
    return (table.traces(where: slow.map { !$0 }), table.traces(where: slow))
  }
}
