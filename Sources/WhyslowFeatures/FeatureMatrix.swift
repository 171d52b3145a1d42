import CWhyslowCore
import WhyslowIngest

/// What groups spans across traces: the service and the operation name.
public struct SpanKey: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The service that recorded the span.
  public let service: String
  /// The span's operation name.
  public let operation: String

  public init(service: String, operation: String) {
    self.service = service
    self.operation = operation
  }

  public static func < (lhs: SpanKey, rhs: SpanKey) -> Bool {
    (lhs.service, lhs.operation) < (rhs.service, rhs.operation)
  }

  public var description: String { "\(service) \(operation)" }
}

/// What a feature column measures about a span key in one trace; raw values are the stable
/// words used in every output.
public enum FeatureKind: String, Sendable, Hashable {
  /// Summed self-time of the key's spans, in milliseconds: span time not covered by the union
  /// of its synchronous children, each clipped to the span.
  case selfTime = "self_time"
}

/// One named column of a feature matrix.
public struct FeatureColumn: Hashable, Sendable {
  /// The span key measured.
  public let key: SpanKey
  /// What is measured.
  public let kind: FeatureKind

  public init(key: SpanKey, kind: FeatureKind) {
    self.key = key
    self.kind = kind
  }
}

/// Traces of a fast and a slow batch as rows, span features as columns.
///
/// Rows are the fast batch's traces, then the slow batch's, each in reading order. `values`
/// is column-major, ready for BLAS. Times are in milliseconds.
public struct FeatureMatrix: Sendable {
  /// The schema: what each column measures, sorted by key.
  public let columns: [FeatureColumn]
  /// Entries, column after column: trace `t`, column `j` is `values[j * traceCount + t]`.
  public let values: [Double]
  /// Each row's trace id.
  public let traceIDs: [String]
  /// Whether each row comes from the slow batch.
  public let isSlow: [Bool]
  /// Each trace's latency in milliseconds: its root span's duration.
  public let latencyMillis: [Double]

  /// Number of rows.
  public var traceCount: Int { traceIDs.count }

  /// A matrix from its parts; `values` holds `traceIDs.count * columns.count` entries.
  public init(
    columns: [FeatureColumn], values: [Double], traceIDs: [String], isSlow: [Bool],
    latencyMillis: [Double]
  ) {
    precondition(values.count == columns.count * traceIDs.count)
    precondition(isSlow.count == traceIDs.count && latencyMillis.count == traceIDs.count)
    self.columns = columns
    self.values = values
    self.traceIDs = traceIDs
    self.isSlow = isSlow
    self.latencyMillis = latencyMillis
  }

  /// The matrix of the given rows only, in the given order.
  public func rows(_ indices: [Int]) -> FeatureMatrix {
    FeatureMatrix(
      columns: columns,
      values: columns.indices.flatMap { column in indices.map { values[column * traceCount + $0] } },
      traceIDs: indices.map { traceIDs[$0] }, isSlow: indices.map { isSlow[$0] },
      latencyMillis: indices.map { latencyMillis[$0] })
  }

  /// The entries of column `column`.
  public func column(_ column: Int) -> ArraySlice<Double> {
    values[(column * traceCount)..<((column + 1) * traceCount)]
  }
}

extension FeatureMatrix {
  /// Builds the matrix of a fast and a slow batch over the union of their span keys.
  public init(fast: SpanTable, slow: SpanTable) {
    let batches = [fast, slow]
    let keys = Set(batches.flatMap { table in
      zip(table.service, table.operation).map { table.key(service: $0, operation: $1) }
    }).sorted()
    let columnOfKey = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
    let traceCount = fast.traceCount + slow.traceCount

    var values = [Double](repeating: 0, count: keys.count * traceCount)
    var traceIDs: [String] = []
    var latencies: [Double] = []
    var firstRow = 0
    for table in batches {
      let selfTimes = table.selfTimeNanos()
      let spanColumns = table.columnIndices(columnOfKey)
      for span in 0..<table.spanCount {
        let column = spanColumns[span]
        let row = firstRow + Int(table.traceIndex[span])
        values[column * traceCount + row] += Double(selfTimes[span]) / nanosPerMilli
      }
      traceIDs += (0..<table.traceCount).map(table.traceID)
      latencies += table.traceLatencyNanos().map { Double($0) / nanosPerMilli }
      firstRow += table.traceCount
    }
    self.init(
      columns: keys.map { FeatureColumn(key: $0, kind: .selfTime) },
      values: values,
      traceIDs: traceIDs,
      isSlow: [Bool](repeating: false, count: fast.traceCount)
        + [Bool](repeating: true, count: slow.traceCount),
      latencyMillis: latencies)
  }
}

private let nanosPerMilli = 1_000_000.0

extension SpanTable {
  func key(service: Int32, operation: Int32) -> SpanKey {
    SpanKey(service: strings[Int(service)], operation: strings[Int(operation)])
  }

  /// The matrix column of each span's key, resolving each distinct (service, operation) once.
  func columnIndices(_ columnOfKey: [SpanKey: Int]) -> [Int] {
    var columnOfPair: [Int64: Int] = [:]
    return (0..<spanCount).map { span in
      let pair = Int64(service[span]) << 32 | Int64(operation[span])
      if let column = columnOfPair[pair] { return column }
      guard let column = columnOfKey[key(service: service[span], operation: operation[span])]
      else { preconditionFailure("span key missing from the matrix schema") }
      columnOfPair[pair] = column
      return column
    }
  }

  /// Self-time of every span, computed by the native core.
  func selfTimeNanos() -> [Int64] {
    [Int64](unsafeUninitializedCapacity: spanCount) { out, initialized in
      let edges = edgeKind.map(\.rawValue)
      parentIndex.withUnsafeBufferPointer { parents in
        edges.withUnsafeBufferPointer { edgeCodes in
          startNanos.withUnsafeBufferPointer { starts in
            durationNanos.withUnsafeBufferPointer { durations in
              wsl_self_time_nanos(
                spanCount, parents.baseAddress, edgeCodes.baseAddress, starts.baseAddress,
                durations.baseAddress, out.baseAddress)
            }
          }
        }
      }
      initialized = spanCount
    }
  }

  /// Each trace's latency: the duration of its root (see `rootRows`). Asynchronous work that
  /// outlives the root does not count: the caller had its answer by then.
  func traceLatencyNanos() -> [Int64] {
    rootRows().map { durationNanos[$0] }
  }
}
