import WhyslowFeatures
import WhyslowIngest
import WhyslowStatistics

/// Turns a two-trace difference into one output document.
public protocol DifferenceExporter: Sendable {
  func render(_ difference: TraceDifference) -> String
}

/// `whyslow diff` as text: the two latencies, the keys that account for the difference (with
/// the waiting inside each), then changed attributes and status, moved events, and a warning
/// when the traces enter at different roots.
public struct TraceDifferenceReport: DifferenceExporter {
  public let limit: Int

  public init(limit: Int) { self.limit = limit }

  public func render(_ difference: TraceDifference) -> String {
    var out = """
      A: \(terminalSafe(difference.traceA)), latency \(decimal(difference.latencyAMillis, 3)) ms
      B: \(terminalSafe(difference.traceB)), latency \(decimal(difference.latencyBMillis, 3)) ms

      """
    if difference.rootA != difference.rootB {
      out += "warning: the traces have different roots (A: \(terminalSafe(difference.rootA.description)), "
        + "B: \(terminalSafe(difference.rootB.description))): they may not be the same kind of request\n"
    }
    out += "B − A: \(decimal(difference.differenceMillis, 3)) ms, split over span keys by critical-path time:\n"
    let rows = difference.keys.prefix(limit).map { key -> [String] in
      let details = Self.details(key)
      return [
        signed(key.criticalMillis) + " ms", signed(key.selfMillis) + " ms", "\(key.countA) → \(key.countB)",
        terminalSafe(key.key.description + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")),
      ]
    }
    let header = ["critical path", "self-time", "spans", "span key"]
    out += alignedColumns([header] + rows, leftAligned: [header.count - 1])
    let shown = difference.keys.prefix(limit).reduce(0) { $0 + $1.criticalMillis }
    let total = difference.keys.reduce(0) { $0 + $1.criticalMillis }
    if difference.keys.count > limit {
      out += "(\(difference.keys.count - limit) more keys, \(signed(total - shown)) ms together; --top N shows more)\n"
    }
    if !difference.attributeChanges.isEmpty {
      out += "\nattributes and status that changed (A → B):\n"
      for change in difference.attributeChanges {
        out += terminalSafe("  \(change.key): \(change.attribute) \(Self.shown(change.valueA)) → \(Self.shown(change.valueB))") + "\n"
      }
    }
    if !difference.eventShifts.isEmpty {
      out += "\nevents that moved within their span (offset from the span's start, A → B):\n"
      for shift in difference.eventShifts {
        out += terminalSafe(
          "  \(shift.key): \"\(shift.event)\" \(Self.offset(shift.offsetAMillis)) → \(Self.offset(shift.offsetBMillis))"
            + (shift.offsetAMillis.isNaN || shift.offsetBMillis.isNaN
              ? "" : " (\(signed(shift.offsetBMillis - shift.offsetAMillis)) ms)")) + "\n"
      }
    }
    return out
  }

  /// "waiting +800.000 ms before KEY", "network to CALLEE +1.000 ms".
  static func details(_ key: KeyDifference) -> [String] {
    key.waitingMillis.filter { abs($0.millis) >= 0.0005 }.map { "waiting \(signedDecimal($0.millis, 3)) ms before \($0.child)" }
      + key.networkGapMillis.map { "network to \($0.callee) \(signedDecimal($0.millis, 3)) ms" }
  }

  private static func shown(_ value: String) -> String { value.isEmpty ? "(none)" : value }
  private static func offset(_ millis: Double) -> String { millis.isNaN ? "(none)" : decimal(millis, 3) + " ms" }
  private func signed(_ value: Double) -> String { signedDecimal(value, 3) }
}

/// `whyslow diff --csv`: one row per span key in the text's order, then one per changed
/// attribute and per moved event.
///
/// `kind,service,operation,critical_ms,self_ms,count_a,count_b,detail,value_a,value_b`: `kind`
/// is `key` (detail: the waiting and network changes in words), `attribute` (detail: its name,
/// values in A and B) or `event` (detail: its name, offsets in ms).
public struct TraceDifferenceCSV: DifferenceExporter {
  public static let header = [
    "kind", "service", "operation", "critical_ms", "self_ms", "count_a", "count_b", "detail", "value_a", "value_b",
  ]

  public init() {}

  public func render(_ difference: TraceDifference) -> String {
    var rows = [Self.header]
    for key in difference.keys {
      rows.append([
        "key", key.key.service, key.key.qualifiedOperation, decimal(key.criticalMillis, 6), decimal(key.selfMillis, 6),
        String(key.countA), String(key.countB), TraceDifferenceReport.details(key).joined(separator: "; "), "", "",
      ])
    }
    for change in difference.attributeChanges {
      rows.append(["attribute", change.key.service, change.key.qualifiedOperation, "", "", "", "", change.attribute, change.valueA, change.valueB])
    }
    for shift in difference.eventShifts {
      rows.append([
        "event", shift.key.service, shift.key.qualifiedOperation, "", "", "", "", shift.event,
        decimal(shift.offsetAMillis, 6), decimal(shift.offsetBMillis, 6),
      ])
    }
    return rows.map { $0.map { CSVExporter.quoted(CSVExporter.neutralized($0)) }.joined(separator: ",") }
      .joined(separator: "\n") + "\n"
  }
}

/// `whyslow diff --json`: `{"type":"whyslow.diff","version":1,"records":[...]}` with one
/// `summary`, then `key`, `attribute` and `event` records in the text's order; NaN is null.
public struct TraceDifferenceJSON: DifferenceExporter {
  public init() {}

  public func render(_ difference: TraceDifference) -> String {
    var records = [
      JSONRecord(type: "summary", fields: [
        "trace_a": .string(difference.traceA), "trace_b": .string(difference.traceB),
        "latency_a_ms": .number(difference.latencyAMillis), "latency_b_ms": .number(difference.latencyBMillis),
        "difference_ms": .number(difference.differenceMillis), "root_a": .string(difference.rootA.description),
        "root_b": .string(difference.rootB.description), "same_root": .bool(difference.rootA == difference.rootB),
      ])
    ]
    records += difference.keys.map { key in
      JSONRecord(type: "key", fields: [
        "service": .string(key.key.service), "operation": .string(key.key.qualifiedOperation),
        "critical_ms": .number(key.criticalMillis), "self_ms": .number(key.selfMillis),
        "count_a": .number(Double(key.countA)), "count_b": .number(Double(key.countB)),
        "waiting": .strings(key.waitingMillis.map { "\($0.child)=\(decimal($0.millis, 6))" }),
        "network_gap": .strings(key.networkGapMillis.map { "\($0.callee)=\(decimal($0.millis, 6))" }),
      ])
    }
    records += difference.attributeChanges.map { change in
      JSONRecord(type: "attribute", fields: [
        "service": .string(change.key.service), "operation": .string(change.key.qualifiedOperation),
        "attribute": .string(change.attribute), "value_a": .string(change.valueA), "value_b": .string(change.valueB),
      ])
    }
    records += difference.eventShifts.map { shift in
      JSONRecord(type: "event", fields: [
        "service": .string(shift.key.service), "operation": .string(shift.key.qualifiedOperation),
        "event": .string(shift.event), "offset_a_ms": .number(shift.offsetAMillis), "offset_b_ms": .number(shift.offsetBMillis),
      ])
    }
    return encodeJSON(JSONDocument(type: "whyslow.diff", version: 1, records: records))
  }
}
