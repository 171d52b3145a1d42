import Foundation
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

/// An endpoint asked for that no trace enters at.
public struct UnknownEndpoint: Error, CustomStringConvertible {
  public let endpoint: String
  /// The endpoints there are, with their traces, most traces first.
  public let known: [(endpoint: SpanKey, traces: Int)]

  public var description: String {
    "--endpoint \(endpoint): no trace enters at it; the endpoints (traces in both batches):\n"
      + known.map { "  \($0.traces)  \($0.endpoint)" }.joined(separator: "\n")
  }
}

/// Picking and labelling traces before the analysis: filters by service and by endpoint, and
/// the split of one batch into fast and slow.
public enum TraceSelection {
  /// The traces that have a span of `service`.
  public static func filter(_ table: SpanTable, service: String) -> SpanTable {
    var touches = [Bool](repeating: false, count: table.traceCount)
    for span in 0..<table.spanCount where table.strings[Int(table.service[span])] == service {
      touches[Int(table.traceIndex[span])] = true
    }
    return table.traces(where: touches)
  }

  /// The traces entering at `endpoint`, by the endpoints the analysis compares (and prints):
  /// "service operation" as printed, or just the operation. Throws `UnknownEndpoint`, listing
  /// the endpoints there are, when no trace enters at it.
  public static func filter(_ matrix: FeatureMatrix, endpoint: String) throws -> FeatureMatrix {
    let trimmed = endpoint.trimmingCharacters(in: .whitespaces)
    let rows = matrix.entryPoints.indices.filter {
      let key = matrix.entryPoints[$0]
      return key.description == trimmed || key.operation == trimmed || key.qualifiedOperation == trimmed
    }
    guard !rows.isEmpty else {
      let counts = Dictionary(grouping: matrix.entryPoints, by: { $0 }).mapValues(\.count)
      throw UnknownEndpoint(
        endpoint: endpoint, known: counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) })
    }
    return matrix.rows(rows)
  }

  /// The tail of the slow batch against the whole fast batch: of the slow traces, only those
  /// above the q-quantile of their endpoint's slow latencies (linear interpolation), per
  /// endpoint as the analysis compares them. Why p99 spiked is then the question answered.
  public static func slowTail(_ matrix: FeatureMatrix, quantile q: Double) -> FeatureMatrix {
    var slowLatencies: [SpanKey: [Double]] = [:]
    for row in matrix.entryPoints.indices where matrix.isSlow[row] {
      slowLatencies[matrix.entryPoints[row], default: []].append(matrix.latencyMillis[row])
    }
    let cut = slowLatencies.mapValues { percentile($0.sorted(), q) }
    return matrix.rows(matrix.entryPoints.indices.filter { row in
      !matrix.isSlow[row] || matrix.latencyMillis[row] > (cut[matrix.entryPoints[row]] ?? .infinity)
    })
  }

  /// A caution when the fast batch is far in time from the slow one: more than 30 minutes
  /// between them, and more than five times the longer batch's own span. A baseline hours away
  /// carries the day's drift (load, caches, deploys), which the analysis would faithfully
  /// report as the cause. Nil when they are near, or a time is unknown.
  public static func staleBaselineCaution(fast: ClosedRange<Int64>?, slow: ClosedRange<Int64>?) -> String? {
    guard let fast, let slow else { return nil }
    let apart = max(slow.lowerBound - fast.upperBound, fast.lowerBound - slow.upperBound)
    let longer = max(fast.upperBound - fast.lowerBound, slow.upperBound - slow.lowerBound)
    guard apart > 30 * 60_000_000_000, apart > 5 * longer else { return nil }
    let minutes = apart / 60_000_000_000
    let distance = minutes >= 120 ? "\(minutes / 60) h \(minutes % 60) min" : "\(minutes) min"
    let order = fast.upperBound <= slow.lowerBound ? "before" : "after"
    return "the fast batch was recorded \(distance) \(order) the slow one: a baseline that far away may carry "
      + "drift (load, caches, deploys) that shows up as suspects; prefer the minutes just before the slowdown "
      + "(whyslow inspect shows each input's time range; --traces BOTH --split-at TIME splits one batch)"
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
      let cut = byEndpoint.mapValues { percentile($0.sorted(), q) }
      slow = latency.indices.map { latency[$0] > (cut[endpoint[$0]] ?? .infinity) }
    }
    return (table.traces(where: slow.map { !$0 }), table.traces(where: slow))
  }
}

/// The q-quantile of sorted values by linear interpolation between closest ranks (numpy's
/// default, Hyndman & Fan type 7): position q·(n−1).
public func percentile(_ sorted: [Double], _ q: Double) -> Double {
  guard !sorted.isEmpty else { return .nan }
  let position = q * Double(sorted.count - 1)
  let below = Int(position.rounded(.down))
  let above = min(below + 1, sorted.count - 1)
  return sorted[below] + (sorted[above] - sorted[below]) * (position - Double(below))
}
