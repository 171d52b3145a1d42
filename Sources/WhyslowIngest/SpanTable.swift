/// How a span hangs off its parent.
public enum EdgeKind: Int8, Sendable {
  /// No parent in the batch: a root, or an orphan whose parent is missing.
  case none = 0
  /// Synchronous child (Jaeger `CHILD_OF`): the parent waits for it.
  case childOf = 1
  /// Asynchronous child (Jaeger `FOLLOWS_FROM`): it never covers its parent's time.
  case followsFrom = 2
}

/// One batch of spans in columns (struct of arrays), linked to their parents.
///
/// Row `i` of every span column describes the same span. Strings (services, operations,
/// trace ids) are interned: columns hold indices into `strings`. Times are exact Int64
/// nanoseconds since the Unix epoch.
public struct SpanTable: Sendable {
  /// Index of each span's trace, into `traceIDs`.
  public var traceIndex: [Int32]
  /// Row of each span's parent, or -1 for a root or an orphan.
  public var parentIndex: [Int32]
  /// How each span hangs off its parent.
  public var edgeKind: [EdgeKind]
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
  /// Each trace's id, as an index into `strings`.
  public var traceIDs: [Int32]
  /// The interned strings.
  public var strings: [String]
  /// What had to be repaired or skipped while reading.
  public var quality: DataQuality

  /// Number of spans.
  public var spanCount: Int { traceIndex.count }
  /// Number of traces.
  public var traceCount: Int { traceIDs.count }

  /// The id of trace `trace`.
  public func traceID(_ trace: Int) -> String { strings[Int(traceIDs[trace])] }
}

/// Counts of what reading a batch had to repair or skip.
public struct DataQuality: Sendable, Equatable {
  /// Files read.
  public var files = 0
  /// Spans dropped because their id repeated an earlier span of the same trace.
  public var duplicateSpans = 0
  /// Spans whose parent is not in the batch; they are treated as roots.
  public var orphanSpans = 0

  public init(files: Int = 0, duplicateSpans: Int = 0, orphanSpans: Int = 0) {
    self.files = files
    self.duplicateSpans = duplicateSpans
    self.orphanSpans = orphanSpans
  }
}
