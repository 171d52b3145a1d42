/// How a span hangs off its parent.
public enum EdgeKind: Int8, Sendable {
  /// No parent in the batch: a root, or an orphan whose parent is missing.
  case none = 0
  /// Synchronous child (Jaeger `CHILD_OF`, an OTLP or Zipkin parent): the parent waits for it.
  case childOf = 1
  /// Asynchronous child (`FOLLOWS_FROM`, PRODUCER → CONSUMER): it never covers its parent.
  case followsFrom = 2
}

/// The role of a span in a remote call, numbered as OTLP numbers them.
public enum SpanKind: Int8, Sendable {
  case unspecified = 0
  case `internal` = 1
  case server = 2
  case client = 3
  case producer = 4
  case consumer = 5
}

/// The type of an attribute value as the trace format gave it.
public enum AttributeType: Int8, Sendable {
  case string = 0
  case bool = 1
  case int = 2
  case double = 3
  case bytes = 4
  /// A span event (Jaeger log, OTLP event, Zipkin annotation): the key is its name and
  /// `AttributeTable.timeNanos` its timestamp. Events are never features.
  case event = 5
}

/// Span attributes in columns: one row per (span, key).
public struct AttributeTable: Sendable {
  /// The span (row of the span table) each attribute belongs to.
  public var span: [Int32] = []
  /// Each attribute's key, as an index into the span table's `strings`.
  public var key: [Int32] = []
  /// Each value as text (numbers as written, exactly), an index into `strings`; -1 for an
  /// unrecorded value (its attribute had more than 1,024 distinct values in its file: an id)
  /// and for events.
  public var text: [Int32] = []
  /// Each value as a number; NaN when it is not numeric.
  public var number: [Double] = []
  /// Each value's type.
  public var type: [AttributeType] = []
  /// An event's timestamp in nanoseconds (0 for other attributes).
  public var timeNanos: [Int64] = []

  /// Number of attributes.
  public var count: Int { span.count }
}

/// One batch of spans in columns (struct of arrays), linked to their parents.
///
/// Row `i` of every span column describes the same span. Strings (services, operations,
/// trace ids, attribute keys and values) are interned: columns hold indices into `strings`.
/// Times are exact Int64 nanoseconds since the Unix epoch.
public struct SpanTable: Sendable {
  /// Index of each span's trace, into `traceIDs`.
  public var traceIndex: [Int32]
  /// Row of each span's parent, or -1 for a root or an orphan.
  public var parentIndex: [Int32]
  /// How each span hangs off its parent.
  public var edgeKind: [EdgeKind]
  /// Each span's kind.
  public var spanKind: [SpanKind]
  /// Each span's service, as an index into `strings`.
  public var service: [Int32]
  /// Each span's operation name, as an index into `strings`.
  public var operation: [Int32]
  /// Each span's start, nanoseconds since the Unix epoch.
  public var startNanos: [Int64]
  /// Each span's duration in nanoseconds.
  public var durationNanos: [Int64]
  /// Whether each span reports an error.
  public var isError: [Bool]
  /// The spans' attributes.
  public var attributes: AttributeTable
  /// Each trace's id, as an index into `strings`.
  public var traceIDs: [Int32]
  /// The interned strings.
  public var strings: [String]
  /// What had to be repaired or skipped while reading, and what was inferred.
  public var quality: DataQuality

  /// Number of spans.
  public var spanCount: Int { traceIndex.count }
  /// Number of traces.
  public var traceCount: Int { traceIDs.count }

  /// The id of trace `trace`.
  public func traceID(_ trace: Int) -> String { strings[Int(traceIDs[trace])] }
}

/// Counts of what reading a batch had to repair or skip, and notes on what it inferred.
public struct DataQuality: Sendable {
  /// Files read, with the format of each.
  public var files: [(path: String, format: TraceFormat)] = []
  /// Spans dropped because their id repeated an earlier span of the same trace.
  public var duplicateSpans = 0
  /// Zipkin client/server halves sharing one id, split into a client parent and a server child.
  public var sharedSpansSplit = 0
  /// Spans whose parent is not in the batch; they are treated as roots.
  public var orphanSpans = 0
  /// Traces with more than one span without a parent.
  public var multiRootTraces = 0
  /// Spans without a start time or duration, left out.
  public var spansWithoutTiming = 0
  /// Records that could not be read (no trace or span id, a malformed CSV row), left out.
  public var skippedRecords = 0
  /// Synchronous children starting before or ending after their parent (clock skew).
  public var skewedSpans = 0
  /// The largest such overhang, nanoseconds.
  public var worstSkewNanos: Int64 = 0
  /// Asynchronous edges: FOLLOWS_FROM and PRODUCER → CONSUMER parents, and span links.
  public var asyncEdges = 0
  /// Spans without a service name, given the service `unknown_service`.
  public var spansWithoutService = 0
  /// Traces with a span whose parent is missing (dropped by sampling or a failed export).
  public var incompleteTraces = 0
  /// Such spans hung under the shortest span of their trace that holds them, where the missing
  /// span was, so that their time stays on the critical path.
  public var reattachedOrphans = 0
  /// What the readers inferred (time units, services from pod names), once each.
  public var notes: [String] = []

  public init() {}

  /// Adds what reading another part of the same batch counted (files, counts, notes).
  public mutating func add(_ other: DataQuality) {
    files += other.files
    duplicateSpans += other.duplicateSpans
    sharedSpansSplit += other.sharedSpansSplit
    orphanSpans += other.orphanSpans
    multiRootTraces += other.multiRootTraces
    spansWithoutTiming += other.spansWithoutTiming
    skippedRecords += other.skippedRecords
    skewedSpans += other.skewedSpans
    worstSkewNanos = max(worstSkewNanos, other.worstSkewNanos)
    asyncEdges += other.asyncEdges
    spansWithoutService += other.spansWithoutService
    incompleteTraces += other.incompleteTraces
    reattachedOrphans += other.reattachedOrphans
    for note in other.notes where !notes.contains(note) { notes.append(note) }
  }

  /// The counts in a fixed order, named as the JSON report names them.
  public var counts: [(name: String, value: Int)] {
    [
      ("duplicate_spans", duplicateSpans), ("shared_spans_split", sharedSpansSplit),
      ("orphan_spans", orphanSpans), ("multi_root_traces", multiRootTraces),
      ("spans_without_timing", spansWithoutTiming), ("skipped_records", skippedRecords),
      ("skewed_spans", skewedSpans), ("worst_skew_ns", Int(worstSkewNanos)),
      ("async_edges", asyncEdges), ("spans_without_service", spansWithoutService),
      ("incomplete_traces", incompleteTraces), ("reattached_orphans", reattachedOrphans),
    ]
  }
}

/// A trace file format.
public enum TraceFormat: String, Sendable, CaseIterable {
  /// Jaeger JSON: the UI download and query API, a trace, an array of traces or of spans.
  case jaeger
  /// OTLP JSON, also JSON Lines as the Collector's file exporter writes them, and Grafana
  /// Tempo's trace-by-id replies.
  case otlp
  /// OTLP protobuf: a TracesData, ExportTraceServiceRequest or Tempo trace message, or the
  /// Collector file exporter's length-prefixed messages (`format: proto`, or compressed).
  case otlpProto = "otlp-proto"
  /// Zipkin v2 JSON.
  case zipkin
  /// A span table as CSV with a header row.
  case csv
  /// whyslow's own span records (`whyslow spans`): spans regrouped into whole traces, as for
  /// `whyslow partial` after a shuffle by trace id.
  case spanRecords = "span-records"
}

extension SpanTable {
  /// Each trace's root row: its earliest-starting span without a parent (the longest of those
  /// on a tie). Its duration is the trace's latency; its key is the trace's entry point.
  public func rootRows() -> [Int] {
    var root = [Int](repeating: -1, count: traceCount)
    for span in 0..<spanCount where parentIndex[span] < 0 {
      let trace = Int(traceIndex[span])
      let current = root[trace]
      if current < 0 || startNanos[span] < startNanos[current]
        || (startNanos[span] == startNanos[current] && durationNanos[span] > durationNanos[current])
      {
        root[trace] = span
      }
    }
    return root
  }

  /// The first and the last trace start (root starts), nanoseconds since the epoch; nil
  /// without traces.
  public func traceStartRange() -> ClosedRange<Int64>? {
    let starts = rootRows().filter { $0 >= 0 }.map { startNanos[$0] }
    guard let first = starts.min(), let last = starts.max() else { return nil }
    return first...last
  }
}

extension SpanTable {
  /// The table of the traces `keep` marks (one flag per trace), spans and attributes in their
  /// order, parents and traces renumbered; strings and data-quality counts are shared.
  public func traces(where keep: [Bool]) -> SpanTable {
    precondition(keep.count == traceCount)
    var newTrace = [Int32](repeating: -1, count: traceCount)
    var traceIDs: [Int32] = []
    for trace in 0..<traceCount where keep[trace] {
      newTrace[trace] = Int32(traceIDs.count)
      traceIDs.append(self.traceIDs[trace])
    }
    var newRow = [Int32](repeating: -1, count: spanCount)
    var kept: [Int] = []
    for span in 0..<spanCount where keep[Int(traceIndex[span])] {
      newRow[span] = Int32(kept.count)
      kept.append(span)
    }
    var attributes = AttributeTable()
    for item in 0..<self.attributes.count where newRow[Int(self.attributes.span[item])] >= 0 {
      attributes.span.append(newRow[Int(self.attributes.span[item])])
      attributes.key.append(self.attributes.key[item])
      attributes.text.append(self.attributes.text[item])
      attributes.number.append(self.attributes.number[item])
      attributes.type.append(self.attributes.type[item])
      attributes.timeNanos.append(self.attributes.timeNanos[item])
    }
    return SpanTable(
      traceIndex: kept.map { newTrace[Int(traceIndex[$0])] },
      parentIndex: kept.map { parentIndex[$0] < 0 ? -1 : newRow[Int(parentIndex[$0])] },
      edgeKind: kept.map { edgeKind[$0] }, spanKind: kept.map { spanKind[$0] },
      service: kept.map { service[$0] }, operation: kept.map { operation[$0] },
      startNanos: kept.map { startNanos[$0] }, durationNanos: kept.map { durationNanos[$0] },
      isError: kept.map { isError[$0] }, attributes: attributes, traceIDs: traceIDs, strings: strings,
      quality: quality)
  }
}
