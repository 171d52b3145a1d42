import WhyslowFeatures
import WhyslowIngest

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
  /// Idle time inside this key before each child key starts, B minus A, ms: the part of its
  /// self-time that is waiting, not work.
  public let waitingMillis: [(child: SpanKey, millis: Double)]
}

/// An attribute of a span key whose values differ between the two traces.
public struct AttributeChange: Sendable, Equatable {
  public let key: SpanKey
  public let attribute: String
  /// The values in A and in B, joined by "," when spans of the key disagree; "" when absent.
  public let valueA: String
  public let valueB: String
}

/// A span event whose offset within its span moved between the two traces.
public struct EventShift: Sendable, Equatable {
  public let key: SpanKey
  public let event: String
  /// The event's time minus its span's start, ms, in A and in B (NaN when absent).
  public let offsetAMillis: Double
  public let offsetBMillis: Double
}

/// The exact answer to "why is trace B slower than trace A": their latency difference split
/// over span keys by critical-path time (CRISP), which sums to it to the nanosecond; with the
/// waiting before children, status and attribute changes, and moved events.
public struct TraceDifference: Sendable {
  public let traceA: String
  public let traceB: String
  public let latencyAMillis: Double
  public let latencyBMillis: Double
  /// The root span keys of A and B.
  public let rootA: SpanKey
  public let rootB: SpanKey
  /// Keys whose critical time, self-time or count differ, largest critical growth first.
  public let keys: [KeyDifference]
  /// Attributes (and the error status, as `error`) whose values differ, by key.
  public let attributeChanges: [AttributeChange]
  /// Events whose offset within their span differs (or that only one trace has), by key.
  public let eventShifts: [EventShift]

  public var differenceMillis: Double { latencyBMillis - latencyAMillis }

  /// Compares row `a` (fast) with row `b` (slow) of a matrix built with every column kept from
  /// `tableA` and `tableB`, the traces' own span tables.
  public init(_ matrix: FeatureMatrix, a: Int, b: Int, tableA: SpanTable, tableB: SpanTable) {
    traceA = matrix.traceIDs[a]
    traceB = matrix.traceIDs[b]
    latencyAMillis = matrix.latencyMillis[a]
    latencyBMillis = matrix.latencyMillis[b]
    rootA = matrix.entryPoints[a]
    rootB = matrix.entryPoints[b]
    var byKey: [SpanKey: (critical: Double, selfTime: Double, countA: Int, countB: Int, gaps: [(String, Double)])] = [:]
    var waits: [SpanKey: [(SpanKey, Double)]] = [:]
    for (index, column) in matrix.columns.enumerated() {
      let values = matrix.column(index)
      let va = values[values.startIndex + a]
      let vb = values[values.startIndex + b]
      var entry = byKey[column.key] ?? (0, 0, 0, 0, [])
      switch column.kind {
      case .criticalTime: entry.critical = vb - va
      case .selfTime: entry.selfTime = vb - va
      case .count: entry = (entry.critical, entry.selfTime, Int(va), Int(vb), entry.gaps)
      case .wait where vb != va:
        if let parent = matrix.parentKeys[column.key] { waits[parent, default: []].append((column.key, vb - va)) }
      default: break
      }
      byKey[column.key] = entry
    }
    for (index, column) in matrix.networkGaps.columns.enumerated() {
      let va = matrix.networkGaps.value(index, row: a)
      let vb = matrix.networkGaps.value(index, row: b)
      if vb != va { byKey[column.key, default: (0, 0, 0, 0, [])].gaps.append((column.peerService, vb - va)) }
    }
    keys = byKey.compactMap { key, entry -> KeyDifference? in
      guard entry.critical != 0 || entry.selfTime != 0 || entry.countA != entry.countB else { return nil }
      return KeyDifference(
        key: key, criticalMillis: entry.critical, selfMillis: entry.selfTime, countA: entry.countA,
        countB: entry.countB, networkGapMillis: entry.gaps.sorted { $0.0 < $1.0 }.map { (callee: $0.0, millis: $0.1) },
        waitingMillis: (waits[key] ?? []).sorted { ($0.1, $1.0) > ($1.1, $0.0) }.map { (child: $0.0, millis: $0.1) })
    }
    .sorted { ($0.criticalMillis, $1.key) > ($1.criticalMillis, $0.key) }

    let spansA = SpanDetails(tableA, trace: traceA)
    let spansB = SpanDetails(tableB, trace: traceB)
    attributeChanges = Set(spansA.values.keys).union(spansB.values.keys).sorted { ($0.key, $0.attribute) < ($1.key, $1.attribute) }
      .compactMap { slot in
        let (valueA, valueB) = (spansA.values[slot] ?? "", spansB.values[slot] ?? "")
        return valueA == valueB ? nil : AttributeChange(key: slot.key, attribute: slot.attribute, valueA: valueA, valueB: valueB)
      }
    eventShifts = Set(spansA.events.keys).union(spansB.events.keys).sorted { ($0.key, $0.attribute) < ($1.key, $1.attribute) }
      .compactMap { slot in
        let (offsetA, offsetB) = (spansA.events[slot] ?? .nan, spansB.events[slot] ?? .nan)
        return offsetA == offsetB ? nil : EventShift(key: slot.key, event: slot.attribute, offsetAMillis: offsetA, offsetBMillis: offsetB)
      }
  }
}

/// The attribute values (and error status) and first event offsets of one trace's spans, per
/// span key.
private struct SpanDetails {
  struct Slot: Hashable {
    let key: SpanKey
    let attribute: String
  }

  /// Distinct values per (key, attribute), sorted and joined by ",".
  var values: [Slot: String] = [:]
  /// The first occurrence's offset within its span per (key, event name), ms.
  var events: [Slot: Double] = [:]

  init(_ table: SpanTable, trace id: String) {
    guard let trace = (0..<table.traceCount).first(where: { table.traceID($0) == id }) else { return }
    let keys = FeatureMatrix.spanKeys(of: table)
    let inTrace = (0..<table.spanCount).map { table.traceIndex[$0] == Int32(trace) }
    var distinct: [Slot: Set<String>] = [:]
    for span in 0..<table.spanCount where inTrace[span] {
      distinct[Slot(key: keys[span], attribute: "error"), default: []].insert(table.isError[span] ? "true" : "false")
    }
    let attributes = table.attributes
    for item in 0..<attributes.count {
      let span = Int(attributes.span[item])
      guard inTrace[span] else { continue }
      let slot = Slot(key: keys[span], attribute: table.strings[Int(attributes.key[item])])
      if attributes.type[item] == .event {
        let offset = Double(attributes.timeNanos[item] - table.startNanos[span]) / 1_000_000
        if events[slot] == nil { events[slot] = offset }
      } else {
        let text = attributes.text[item]
        distinct[slot, default: []].insert(text < 0 ? "(unrecorded)" : table.strings[Int(text)])
      }
    }
    values = distinct.mapValues { $0.sorted().joined(separator: ",") }
  }
}
