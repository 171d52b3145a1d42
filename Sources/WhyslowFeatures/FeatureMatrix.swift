import WhyslowIngest

/// What groups spans across traces: the service and the (normalized) operation name, and with
/// path keys the chain of ancestor keys too.
public struct SpanKey: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The service that recorded the span.
  public let service: String
  /// The span's operation name, ids replaced by placeholders unless asked otherwise.
  public let operation: String
  /// With path keys: the ancestors' keys from the root down, joined by " > "; else empty.
  public let callers: String

  public init(service: String, operation: String, callers: String = "") {
    self.service = service
    self.operation = operation
    self.callers = callers
  }

  public static func < (lhs: SpanKey, rhs: SpanKey) -> Bool {
    (lhs.service, lhs.operation, lhs.callers) < (rhs.service, rhs.operation, rhs.callers)
  }

  /// "service operation", and " (via callers)" for a path key.
  public var description: String {
    callers.isEmpty ? "\(service) \(operation)" : "\(service) \(operation) (via \(callers))"
  }

  /// The operation as exported: with its callers for a path key.
  public var qualifiedOperation: String {
    callers.isEmpty ? operation : "\(operation) (via \(callers))"
  }
}

/// What a feature column measures about a span key in one trace.
public enum FeatureKind: Hashable, Sendable {
  /// Summed self-time, ms: span time not covered by its synchronous children.
  case selfTime
  /// Summed time on the trace's critical path, ms (CRISP).
  case criticalTime
  /// Number of spans (N+1 queries, fan-out, retries).
  case count
  /// First start relative to the trace's start, ms.
  case startOffset
  /// Summed wait before the key's spans start (queueing before a call), ms.
  case wait
  /// Summed client duration minus the callee's server duration, ms; the column names the callee.
  case networkGap
  /// Number of spans with error status.
  case error
  /// Depth below the root of the key's first span.
  case depth
  /// 1 when a span of the key carries this attribute value, else 0.
  case attribute(key: String, value: String)
  /// Mean of a numeric attribute over the key's spans (0 when absent).
  case numericAttribute(key: String)

  /// The stable word used in every output: `self_time`, ..., `attr:KEY=VALUE`, `attr:KEY`.
  public var name: String {
    switch self {
    case .selfTime: return "self_time"
    case .criticalTime: return "critical_time"
    case .count: return "count"
    case .startOffset: return "start_offset"
    case .wait: return "wait"
    case .networkGap: return "network_gap"
    case .error: return "error"
    case .depth: return "depth"
    case .attribute(let key, let value): return "attr:\(key)=\(value)"
    case .numericAttribute(let key): return "attr:\(key)"
    }
  }

  /// Whether the feature can cause latency rather than record it. `criticalTime` partitions
  /// each trace's latency exactly, and `startOffset` grows with whatever ran before the span:
  /// both are outcomes, which a regression of latency would credit with every effect.
  public var isExplanatory: Bool {
    switch self {
    case .criticalTime, .startOffset: return false
    default: return true
    }
  }
}

/// One named column of a feature matrix.
public struct FeatureColumn: Hashable, Sendable {
  /// The span key measured.
  public let key: SpanKey
  /// What is measured.
  public let kind: FeatureKind
  /// For `networkGap`, and the `criticalTime` of a key's calls to one callee: the callee; else
  /// empty.
  public let peerService: String

  public init(key: SpanKey, kind: FeatureKind, peerService: String = "") {
    self.key = key
    self.kind = kind
    self.peerService = peerService
  }
}

/// How traces are grouped into entry points, to compare like with like.
public enum EndpointRule: String, Sendable, CaseIterable {
  /// `root`, unless one root operation covers nearly all traces (95%) or its name is a
  /// wildcard (`/*`, as gateways record it): then `route` when roots carry more than one
  /// route, else `child` when that tells more than one endpoint apart.
  case automatic = "auto"
  /// The root span's key.
  case root
  /// The root span's `http.route`, `http.target` or `url.path` attribute (ids normalized).
  case route
  /// The first span below the root that serves a request: the shallowest of kind SERVER, or
  /// of no kind in another service than its parent's; the earliest of those.
  case child
}

/// How traces become feature vectors.
public struct FeatureOptions: Sendable {
  /// Keep operation names as recorded instead of replacing ids with placeholders.
  public var keepOperationNames = false
  /// Key spans by their path from the root (ancestor keys) as well as service and operation.
  public var keyByPath = false
  /// At most this many 0/1 columns per attribute (its most frequent values).
  public var maxAttributeValues = 8
  /// Leave out (and report) columns that never vary: they carry no information for a fit.
  public var dropConstantColumns = true
  /// How traces are grouped into entry points.
  public var endpointRule = EndpointRule.automatic
  /// At most this many span keys get columns of their own: those with the most spans. The
  /// others fold into one "(other operations)" key per service, so that operation names full
  /// of ids cannot blow the matrix up. 2,000 keys are far more than real services have.
  public var maxSpanKeys = 2_000
  /// With path keys, at most this many callers name a key (the nearest ones); a deeper chain
  /// is shown as "… > " and the last callers, so keys stay short whatever the depth.
  public var maxPathDepth = 16
  /// Service and operation names longer than this many characters are cut (and marked with
  /// their length), so one hostile name cannot bloat every output line.
  public var maxNameLength = 512

  public init(
    keepOperationNames: Bool = false, keyByPath: Bool = false, maxAttributeValues: Int = 8,
    dropConstantColumns: Bool = true, endpointRule: EndpointRule = .automatic, maxSpanKeys: Int = 2_000,
    maxPathDepth: Int = 16, maxNameLength: Int = 512
  ) {
    self.maxNameLength = maxNameLength
    self.endpointRule = endpointRule
    self.maxSpanKeys = maxSpanKeys
    self.maxPathDepth = maxPathDepth
    self.keepOperationNames = keepOperationNames
    self.keyByPath = keyByPath
    self.maxAttributeValues = maxAttributeValues
    self.dropConstantColumns = dropConstantColumns
  }
}

/// Columns kept sparse: each stores only the rows where it is not 0. Network gaps (a client
/// key calls each callee service in few traces) and attributes (an attribute's 0/1 value
/// columns and numeric means) are kept so; they become dense only for the span keys an analysis
/// looks at (its suspects), so the matrix does not grow with callees or attributes nobody asks
/// about.
public struct SparseColumns: Sendable {
  /// One column: its name and the rows (ascending) with their values.
  public struct Column: Sendable {
    public let column: FeatureColumn
    public let rows: [Int32]
    public let values: [Double]

    /// The column as a dense array of `count` rows (0 where it has no entry).
    public func dense(rows count: Int) -> [Double] {
      var dense = [Double](repeating: 0, count: count)
      for (row, value) in zip(rows, values) { dense[Int(row)] = value }
      return dense
    }
  }

  /// Rows of the matrix the columns belong to.
  public let rows: Int
  /// The columns, in schema order (by key, then callee or attribute name).
  public let entries: [Column]

  init(rows: Int, entries: [Column] = []) {
    self.rows = rows
    self.entries = entries
  }

  /// Every column there is (none is built).
  public var columns: [FeatureColumn] { entries.map(\.column) }

  /// The column at `index` as a dense array.
  public func dense(_ index: Int) -> [Double] { entries[index].dense(rows: rows) }


  /// The value of column `index` in `row` (0 where it has none).
  public func value(_ index: Int, row: Int) -> Double {
    let entry = entries[index]
    var low = 0
    var high = entry.rows.count
    while low < high {  // first position whose row is >= row
      let middle = (low + high) / 2
      if Int(entry.rows[middle]) < row { low = middle + 1 } else { high = middle }
    }
    return low < entry.rows.count && Int(entry.rows[low]) == row ? entry.values[low] : 0
  }

  /// The columns of the given rows only, in the given order, renumbered.
  func rows(_ indices: [Int]) -> SparseColumns {
    let position = Dictionary(indices.enumerated().map { (Int32($1), Int32($0)) }, uniquingKeysWith: { first, _ in first })
    return SparseColumns(
      rows: indices.count,
      entries: entries.map { entry in
        let kept = zip(entry.rows, entry.values).compactMap { row, value in position[row].map { ($0, value) } }
          .sorted { $0.0 < $1.0 }
        return Column(column: entry.column, rows: kept.map(\.0), values: kept.map(\.1))
      })
  }
}

/// Traces of a fast and a slow batch as rows, span features as columns.
///
/// Rows are the fast batch's traces, then the slow batch's, each in reading order. `values`
/// is column-major, ready for BLAS. Times are in milliseconds. A key absent from a trace has
/// 0 in all its columns (`count` tells absence apart).
public struct FeatureMatrix: Sendable {
  /// The schema: what each column measures. Explanatory columns come first (by key, then
  /// feature), then the outcome columns (`critical_time`, `start_offset`), so the explanatory
  /// ones form one block at the start of `values`.
  public let columns: [FeatureColumn]
  /// Entries, column after column: trace `t`, column `j` is `values[j * traceCount + t]`.
  public let values: [Double]
  /// Each row's trace id.
  public let traceIDs: [String]
  /// Whether each row comes from the slow batch.
  public let isSlow: [Bool]
  /// Each trace's latency in milliseconds: its root span's duration.
  public let latencyMillis: [Double]
  /// Each trace's entry point (see `EndpointRule`).
  public let entryPoints: [SpanKey]
  /// The rule the entry points follow and why, in words (for standard error).
  public let endpointNote: String
  /// Each key's usual parent key: the most frequent key of its spans' synchronous parents.
  public let parentKeys: [SpanKey: SpanKey]
  /// Span keys beyond `FeatureOptions.maxSpanKeys`, folded into "(other operations)" keys.
  public let foldedKeys: Int
  /// Columns left out, with the reason (they never vary, or an attribute is an id).
  public let droppedColumns: [(name: String, reason: String)]
  /// The network gaps of client keys to their callees, sparse; not in `columns`.
  public let networkGaps: SparseColumns
  /// The critical-path time of client keys' calls to each callee (`criticalTime` columns naming
  /// the callee), sparse; not in `columns`. A key's calls and the rest of its spans partition
  /// its `criticalTime` column.
  public let calls: SparseColumns
  /// The attribute columns, sparse (`SparseColumns.dense(_:)` makes one dense); not in `columns`.
  public let attributes: SparseColumns

  /// Number of rows.
  public var traceCount: Int { traceIDs.count }

  /// A matrix from its parts; `values` holds `traceIDs.count * columns.count` entries.
  public init(
    columns: [FeatureColumn], values: [Double], traceIDs: [String], isSlow: [Bool],
    latencyMillis: [Double], entryPoints: [SpanKey], endpointNote: String = "",
    parentKeys: [SpanKey: SpanKey] = [:], foldedKeys: Int = 0,
    droppedColumns: [(name: String, reason: String)] = [], networkGaps: SparseColumns? = nil,
    calls: SparseColumns? = nil, attributes: SparseColumns? = nil
  ) {
    self.networkGaps = networkGaps ?? SparseColumns(rows: traceIDs.count)
    self.calls = calls ?? SparseColumns(rows: traceIDs.count)
    self.attributes = attributes ?? SparseColumns(rows: traceIDs.count)
    precondition(values.count == columns.count * traceIDs.count)
    precondition(isSlow.count == traceIDs.count && latencyMillis.count == traceIDs.count)
    precondition(entryPoints.count == traceIDs.count)
    self.columns = columns
    self.values = values
    self.traceIDs = traceIDs
    self.isSlow = isSlow
    self.latencyMillis = latencyMillis
    self.entryPoints = entryPoints
    self.endpointNote = endpointNote
    self.parentKeys = parentKeys
    self.foldedKeys = foldedKeys
    self.droppedColumns = droppedColumns
  }

  /// The entries of column `column`.
  public func column(_ column: Int) -> ArraySlice<Double> {
    values[(column * traceCount)..<((column + 1) * traceCount)]
  }

  /// The entries of the given columns, column after column: a design ready for `Matrix`,
  /// copied column by column with memcpy.
  public func columnMajor(_ selected: [Int]) -> [Double] {
    let n = traceCount
    let total = selected.count * n
    return [Double](unsafeUninitializedCapacity: total) { buffer, initialized in
      guard let target = buffer.baseAddress, n > 0 else { return }
      values.withUnsafeBufferPointer { source in
        guard let from = source.baseAddress else { return }
        for (index, column) in selected.enumerated() {
          (target + index * n).initialize(from: from + column * n, count: n)
        }
      }
      initialized = total
    }
  }

  /// The matrix of the given rows only, in the given order.
  public func rows(_ indices: [Int]) -> FeatureMatrix {
    FeatureMatrix(
      columns: columns,
      values: columns.indices.flatMap { column in indices.map { values[column * traceCount + $0] } },
      traceIDs: indices.map { traceIDs[$0] }, isSlow: indices.map { isSlow[$0] },
      latencyMillis: indices.map { latencyMillis[$0] }, entryPoints: indices.map { entryPoints[$0] },
      endpointNote: endpointNote, parentKeys: parentKeys, foldedKeys: foldedKeys, droppedColumns: droppedColumns,
      networkGaps: networkGaps.rows(indices), calls: calls.rows(indices), attributes: attributes.rows(indices))
  }
}
