import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowStatistics

/// The one-line account of what was read, for standard error (with the traces' time range when
/// given), plus one line per note.
public func readingSummary(
  traces: Int, spans: Int, quality: DataQuality, name: String, starts: ClosedRange<Int64>? = nil
) -> String {
  let formats = TraceFormat.allCases.compactMap { format in
    let files = quality.files.filter { $0.format == format }.count
    return files > 0 ? "\(files) \(format.rawValue)" : nil
  }
  var line =
    "read \(name): \(counted(quality.files.count, "file")) (\(formats.joined(separator: ", "))), "
    + "\(counted(traces, "trace")), \(counted(spans, "span")); "
  line += qualityPhrase(quality)
  if let starts { line += "; traces start \(rfc3339(starts.lowerBound)) to \(rfc3339(starts.upperBound))" }
  return ([line] + quality.notes.map { "note: \($0)" }).joined(separator: "\n")
}

/// The account of the feature matrix, for standard error: its size and what was left out, by
/// reason; and the endpoint rule when it is not the plain root key.
public func featureSummary(_ matrix: FeatureMatrix) -> String {
  let keys = Set(matrix.columns.map(\.key)).count
  var line = "features: \(counted(matrix.columns.count, "dense column"))"
  if !matrix.networkGaps.entries.isEmpty { line += " and \(counted(matrix.networkGaps.entries.count, "sparse network gap"))" }
  line += " over \(counted(keys, "span key"))"
  let reasons = Dictionary(grouping: matrix.droppedColumns, by: { $0.reason.hasSuffix("looks like an id") ? "id-like attributes" : $0.reason })
  let parts = reasons.keys.sorted().map { reason in
    reason == "never varies" ? "\(reasons[reason]?.count ?? 0) that never vary" : "\(reasons[reason]?.count ?? 0) \(reason)"
  }
  if !parts.isEmpty { line += "; left out: " + parts.joined(separator: ", ") }
  if matrix.foldedKeys > 0 {
    line +=
      "\nnote: \(matrix.foldedKeys) span keys with the fewest spans, beyond --max-span-keys, fold "
      + "into one \"(other operations)\" key per service"
  }
  return matrix.endpointNote.isEmpty ? line : line + "\n" + matrix.endpointNote
}

/// "1 file", "2 files".
func counted(_ count: Int, _ noun: String) -> String {
  "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// The non-zero data-quality counts in words, or "no repairs".
func qualityPhrase(_ quality: DataQuality) -> String {
  var parts: [String] = []
  func add(_ count: Int, _ words: String) { if count > 0 { parts.append("\(count) \(words)") } }
  add(quality.duplicateSpans, "duplicate spans dropped")
  add(quality.sharedSpansSplit, "shared client/server spans split")
  add(quality.orphanSpans, "orphan spans (parent missing)")
  if quality.incompleteTraces > 0 {
    parts.append(
      "\(quality.incompleteTraces) incomplete traces (spans missing; \(quality.reattachedOrphans) orphans hung "
        + "under the span that holds them)")
  }
  add(quality.multiRootTraces, "multi-root traces")
  add(quality.spansWithoutTiming, "spans without timing left out")
  add(quality.skippedRecords, "unreadable records skipped")
  if quality.skewedSpans > 0 {
    parts.append(
      "\(quality.skewedSpans) children outside their parent (clock skew, worst "
        + "\(decimal(Double(quality.worstSkewNanos) / 1_000_000, 3)) ms)")
  }
  add(quality.asyncEdges, "async edges")
  add(quality.spansWithoutService, "spans without a service")
  return parts.isEmpty ? "no repairs" : parts.joined(separator: ", ")
}

/// `whyslow inspect` as text: per input, what was read.
public struct InspectTextReport {
  public init() {}

  /// The report for inputs named by path.
  public func render(_ inputs: [(path: String, summary: BatchSummary)]) -> String {
    inputs.map { path, summary in
      var out = "\(path)\n"
      let formats = summary.filesPerFormat.map {
        "\($0.format.rawValue) (\(counted($0.files, "file")))"
      }
      out += "  format:   \(formats.joined(separator: ", "))\n"
      out += "  traces:   \(summary.traces)\n  spans:    \(summary.spans)\n"
      out += "  services: \(summary.services.count) (\(summary.services.joined(separator: ", ")))\n"
      if let first = summary.firstTraceStartNanos, let last = summary.lastTraceStartNanos {
        out += "  time:     \(rfc3339(first)) to \(rfc3339(last)) (first and last trace start)\n"
      }
      out += "  endpoints, as analyze compares them (traces, latency p50 / p90 / p99 ms):\n"
      for entry in summary.entryPoints {
        out +=
          "    \(entry.traces)  \(decimal(entry.p50Millis, 1)) / \(decimal(entry.p90Millis, 1)) / "
          + "\(decimal(entry.p99Millis, 1))  \(entry.key)\n"
      }
      if !summary.endpointNote.isEmpty { out += "  \(summary.endpointNote)\n" }
      out += "  data quality: \(qualityPhrase(summary.quality))\n"
      for note in summary.quality.notes { out += "  note: \(note)\n" }
      return terminalSafeLines(out)
    }.joined(separator: "\n")
  }
}

/// An RFC 3339 UTC time with milliseconds, as --split-at takes it: 2023-01-30T11:39:02.856Z.
func rfc3339(_ nanos: Int64) -> String {
  let formatter = ISO8601DateFormatter()
  formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
  return formatter.string(from: Date(timeIntervalSince1970: Double(nanos / 1_000_000) / 1_000))
}

/// `text` with control characters inside its lines escaped (`terminalSafe`), line breaks kept.
func terminalSafeLines(_ text: String) -> String {
  text.split(separator: "\n", omittingEmptySubsequences: false).map { terminalSafe(String($0)) }
    .joined(separator: "\n")
}

/// `whyslow inspect --json`: one versioned object.
///
/// `{"type":"whyslow.inspect","version":1,"inputs":[{"path","formats":{format: files},
/// "traces","spans","services":[...],"entry_points":[{"service","operation","traces","p50_ms",
/// "p90_ms","p99_ms"}],"endpoint_rule","first_trace_start","last_trace_start","quality":{count
/// name: value},"notes":[...]}]}` (the endpoints as analyze compares them; times RFC 3339).
public struct InspectJSONReport {
  public init() {}

  public func render(_ inputs: [(path: String, summary: BatchSummary)]) -> String {
    let document = Document(inputs: inputs.map { path, summary in
      Input(
        path: path,
        formats: Dictionary(uniqueKeysWithValues: summary.filesPerFormat.map { ($0.format.rawValue, $0.files) }),
        traces: summary.traces, spans: summary.spans, services: summary.services,
        entry_points: summary.entryPoints.map {
          Entry(
            service: $0.key.service, operation: $0.key.operation, traces: $0.traces,
            p50_ms: $0.p50Millis, p90_ms: $0.p90Millis, p99_ms: $0.p99Millis)
        },
        endpoint_rule: summary.endpointNote,
        first_trace_start: summary.firstTraceStartNanos.map(rfc3339),
        last_trace_start: summary.lastTraceStartNanos.map(rfc3339),
        quality: Dictionary(uniqueKeysWithValues: summary.quality.counts.map { ($0.name, $0.value) }),
        notes: summary.quality.notes)
    })
    return encodeJSON(document)
  }

  private struct Document: Encodable {
    let type = "whyslow.inspect"
    let version = 1
    let inputs: [Input]
  }

  private struct Input: Encodable {
    let path: String
    let formats: [String: Int]
    let traces: Int
    let spans: Int
    let services: [String]
    let entry_points: [Entry]
    let endpoint_rule: String
    let first_trace_start: String?
    let last_trace_start: String?
    let quality: [String: Int]
    let notes: [String]
  }

  private struct Entry: Encodable {
    let service: String
    let operation: String
    let traces: Int
    let p50_ms: Double
    let p90_ms: Double
    let p99_ms: Double
  }
}

/// Deterministic JSON: sorted keys, pretty-printed, a final newline.
func encodeJSON(_ value: some Encodable) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
  guard let data = try? encoder.encode(value) else { return "{}\n" }
  return String(decoding: data, as: UTF8.self) + "\n"
}
