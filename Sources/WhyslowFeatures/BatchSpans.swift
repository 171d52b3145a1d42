import CWhyslowCore
import WhyslowIngest

/// Dense ids for span keys, and how raw names become key names.
struct KeyRegistry {
  let options: FeatureOptions
  let normalizer = OperationNormalizer()
  private(set) var keys: [SpanKey] = []
  private var idOfKey: [SpanKey: Int32] = [:]

  init(options: FeatureOptions) { self.options = options }

  mutating func id(of key: SpanKey) -> Int32 {
    if let id = idOfKey[key] { return id }
    let id = Int32(keys.count)
    keys.append(key)
    idOfKey[key] = id
    return id
  }

  func operationName(_ raw: String) -> String {
    bounded(options.keepOperationNames ? raw : normalizer.normalize(raw))
  }

  /// A name as every output shows it: control characters escaped (`terminalSafe`), cut to
  /// `FeatureOptions.maxNameLength` characters and then marked with the length it had.
  func bounded(_ name: String) -> String {
    let safe = terminalSafe(name)
    guard safe.count > options.maxNameLength else { return safe }
    return String(safe.prefix(options.maxNameLength)) + "…(\(name.utf8.count) bytes)"
  }

  /// Keeps the `limit` span keys with the most spans (`spans`, by key id; ties: the smaller
  /// key) and folds the others into one "(other operations)" key per service, so that the
  /// matrix is bounded whatever the names. Returns each old id's new id (nil when within the
  /// limit: nothing changes) and how many keys were folded.
  mutating func foldRareKeys(spans: [Double], limit: Int) -> (renumbered: [Int32]?, folded: Int) {
    guard keys.count > limit else { return (nil, 0) }
    let kept = keys.indices.sorted { (spans[$0], keys[$1]) > (spans[$1], keys[$0]) }.prefix(max(limit, 0))
    var keptSet = [Bool](repeating: false, count: keys.count)
    for key in kept { keptSet[key] = true }
    let old = keys
    keys = []
    idOfKey = [:]
    var renumbered = [Int32](repeating: 0, count: old.count)
    for key in kept.sorted() { renumbered[key] = id(of: old[key]) }
    for key in old.indices where !keptSet[key] {
      renumbered[key] = id(of: SpanKey(service: old[key].service, operation: "(other operations)"))
    }
    return (renumbered, old.count - kept.count)
  }
}

/// One batch with its trace roots and span key ids.
struct BatchSpans {
  let table: SpanTable
  let roots: [Int]
  /// The key id of each span: (service, operation), or with path keys its whole lineage.
  let key: [Int32]
  /// Traces in matrix row order (by trace id), and each trace's row: the same traces in any
  /// file order give the same rows, and so byte-identical output.
  let traceOfRow: [Int]
  let rowOfTrace: [Int32]
  /// The (service, operation) key id of each span, for entry points.
  let baseKey: [Int32]

  init(table: SpanTable, keys: inout KeyRegistry) {
    self.table = table
    roots = table.rootRows()
    let traceOfRow = (0..<table.traceCount).sorted { table.traceID($0) < table.traceID($1) }
    var rowOfTrace = [Int32](repeating: 0, count: table.traceCount)
    for (row, trace) in traceOfRow.enumerated() { rowOfTrace[trace] = Int32(row) }
    self.traceOfRow = traceOfRow
    self.rowOfTrace = rowOfTrace
    // Dense (service, operation) pair ids: two array loads per span instead of a hash lookup.
    var serviceIndex = [Int32](repeating: -1, count: table.strings.count)
    var operationIndex = [Int32](repeating: -1, count: table.strings.count)
    var services: [Int32] = []
    var operations: [Int32] = []
    for span in 0..<table.spanCount {
      let service = Int(table.service[span])
      let operation = Int(table.operation[span])
      if serviceIndex[service] < 0 {
        serviceIndex[service] = Int32(services.count)
        services.append(Int32(service))
      }
      if operationIndex[operation] < 0 {
        operationIndex[operation] = Int32(operations.count)
        operations.append(Int32(operation))
      }
    }
    // Pairs are looked up in a hash table: a services × operations array would grow with the
    // product of two counts that hostile input controls.
    // Each operation's last (service, key) goes first: an operation is nearly always one
    // service's, so most spans find their key without hashing.
    var keyOfPair: [Int64: Int32] = [:]
    var lastOfOperation = [(service: Int32, key: Int32)](repeating: (-1, -1), count: operations.count)
    let operationNames = operations.map { keys.operationName(table.strings[Int($0)]) }
    var baseKey = [Int32](repeating: 0, count: table.spanCount)
    for span in 0..<table.spanCount {
      let operation = Int(operationIndex[Int(table.operation[span])])
      let service = serviceIndex[Int(table.service[span])]
      if lastOfOperation[operation].service == service {
        baseKey[span] = lastOfOperation[operation].key
        continue
      }
      let pair = Int64(service) << 32 | Int64(operation)
      let id =
        keyOfPair[pair]
        ?? keys.id(
          of: SpanKey(service: keys.bounded(table.strings[Int(table.service[span])]), operation: operationNames[operation]))
      keyOfPair[pair] = id
      lastOfOperation[operation] = (service, id)
      baseKey[span] = id
    }
    self.baseKey = baseKey
    key = keys.options.keyByPath ? Self.pathKeys(table, baseKey, &keys) : baseKey
  }

  /// Each span's key extended by its ancestors' keys, parents resolved before children.
  private static func pathKeys(_ table: SpanTable, _ baseKey: [Int32], _ keys: inout KeyRegistry)
    -> [Int32]
  {
    var path = [Int32](repeating: -1, count: table.spanCount)
    var idOfStep: [Int64: Int32] = [:]  // (parent path id, own base key) -> path id
    var walk: [Int] = []
    for span in 0..<table.spanCount where path[span] < 0 {
      walk.removeAll(keepingCapacity: true)
      var at = span
      while at >= 0 && path[at] < 0 {
        walk.append(at)
        at = Int(table.parentIndex[at])
      }
      var parentPath: Int32 = at >= 0 ? path[at] : -1
      for row in walk.reversed() {
        let step = Int64(parentPath) << 32 | Int64(baseKey[row])
        if let id = idOfStep[step] {
          path[row] = id
        } else {
          let base = keys.keys[Int(baseKey[row])]
          var callers = ""
          if parentPath >= 0 {
            let parent = keys.keys[Int(parentPath)]
            let parentName = "\(parent.service) \(parent.operation)"
            callers = parent.callers.isEmpty ? parentName : "\(parent.callers) > \(parentName)"
            let chain = callers.components(separatedBy: " > ").filter { $0 != "…" }
            if chain.count > keys.options.maxPathDepth {
              callers = (["…"] + chain.suffix(keys.options.maxPathDepth)).joined(separator: " > ")
            }
          }
          let id = keys.id(
            of: SpanKey(service: base.service, operation: base.operation, callers: callers))
          idOfStep[step] = id
          path[row] = id
        }
        parentPath = path[row]
      }
    }
    return path
  }

  func baseKey(of span: Int, _ keys: KeyRegistry) -> SpanKey { keys.keys[Int(baseKey[span])] }

  /// Per-trace values in matrix row order.
  func inRowOrder<T>(_ values: [T]) -> [T] { traceOfRow.map { values[$0] } }

  /// Per trace: the root's route attribute (`Endpoints.routeAttributes`, first found in that
  /// order; query strings dropped, ids normalized) as a key of the root's service, or nil.
  func rootRoutes(_ keys: KeyRegistry) -> [SpanKey?] {
    var rootOf = [Int32](repeating: -1, count: table.spanCount)
    for (trace, root) in roots.enumerated() where root >= 0 { rootOf[root] = Int32(trace) }
    var best = [(priority: Int, text: Int32)?](repeating: nil, count: roots.count)
    let attributes = table.attributes
    for item in 0..<attributes.count {
      let trace = rootOf[Int(attributes.span[item])]
      guard trace >= 0, attributes.text[item] >= 0,
        let priority = Endpoints.routeAttributes.firstIndex(of: table.strings[Int(attributes.key[item])])
      else { continue }
      if let current = best[Int(trace)], current.priority <= priority { continue }
      best[Int(trace)] = (priority, attributes.text[item])
    }
    return best.enumerated().map { trace, found in
      found.map { found in
        let route = table.strings[Int(found.text)].split(separator: "?", omittingEmptySubsequences: false)[0]
        return SpanKey(service: baseKey(of: roots[trace], keys).service, operation: keys.operationName(String(route)))
      }
    }
  }

  /// Per trace: the key of the first span below the root that serves a request (kind SERVER,
  /// or of no kind in another service than its parent's): the shallowest, then the earliest.
  func firstServerBelowRoot(_ keys: KeyRegistry) -> [SpanKey?] {
    var depth = [Int32](repeating: -1, count: table.spanCount)
    var walk: [Int] = []
    var best = [Int](repeating: -1, count: roots.count)
    for span in 0..<table.spanCount {
      walk.removeAll(keepingCapacity: true)
      var at = span
      while at >= 0 && depth[at] < 0 && walk.count <= table.spanCount {
        walk.append(at)
        at = Int(table.parentIndex[at])
      }
      var level = at >= 0 ? depth[at] : -1
      for row in walk.reversed() {
        level += 1
        depth[row] = level
      }
      let parent = Int(table.parentIndex[span])
      guard parent >= 0 else { continue }
      let kind = table.spanKind[span]
      let serves =
        kind == .server || (kind == .unspecified && table.service[span] != table.service[parent])
      guard serves else { continue }
      let trace = Int(table.traceIndex[span])
      let current = best[trace]
      if current < 0 || (depth[span], table.startNanos[span], span) < (depth[current], table.startNanos[current], current) {
        best[trace] = span
      }
    }
    return best.map { $0 < 0 ? nil : baseKey(of: $0, keys) }
  }
}

/// Per-span timing metrics from the native core for the spans of some whole traces, gathered
/// into contiguous local columns: memory grows with the chunk, not with the batch.
struct SpanMetrics {
  /// The table rows covered, in local order.
  let rows: [Int32]
  var selfNanos: [Int64]
  var criticalNanos: [Int64]
  var waitNanos: [Int64]
  var startOffsetNanos: [Int64]
  var depth: [Int32]
  var networkGapNanos: [Int64]
  /// The callee's local index, or -1.
  var calleeRow: [Int32]

  /// Spans of a batch grouped by trace, cut into chunks of about `spansPerChunk` spans.
  static func chunks(_ table: SpanTable, spansPerChunk: Int = 1 << 16) -> [[Int32]] {
    var first = [Int](repeating: 0, count: table.traceCount + 1)
    for trace in table.traceIndex { first[Int(trace) + 1] += 1 }
    for trace in 0..<table.traceCount { first[trace + 1] += first[trace] }
    var order = [Int32](repeating: 0, count: table.spanCount)
    var cursor = first
    for span in 0..<table.spanCount {
      let trace = Int(table.traceIndex[span])
      order[cursor[trace]] = Int32(span)
      cursor[trace] += 1
    }
    var chunks: [[Int32]] = []
    var start = 0
    for trace in 0..<table.traceCount where first[trace + 1] - start >= spansPerChunk || trace == table.traceCount - 1 {
      chunks.append(Array(order[start..<first[trace + 1]]))
      start = first[trace + 1]
    }
    return chunks
  }

  /// Computes the metrics of `rows` (whole traces); `local` is scratch of spanCount entries,
  /// all -1 on entry and on return.
  init(_ table: SpanTable, rows: [Int32], roots: [Int], local: inout [Int32]) {
    self.rows = rows
    let count = rows.count
    for (index, row) in rows.enumerated() { local[Int(row)] = Int32(index) }
    // Rows come grouped by trace: a new local trace starts where the table trace changes.
    var rootRows: [Int32] = []
    var traceIndex = [Int32](repeating: 0, count: count)
    var parentIndex = [Int32](repeating: -1, count: count)
    var edges = [Int8](repeating: 0, count: count)
    var kinds = [Int8](repeating: 0, count: count)
    var services = [Int32](repeating: 0, count: count)
    var starts = [Int64](repeating: 0, count: count)
    var durations = [Int64](repeating: 0, count: count)
    var previousTrace: Int32 = -1
    for (index, tableRow) in rows.enumerated() {
      let row = Int(tableRow)
      let trace = table.traceIndex[row]
      if trace != previousTrace {
        let root = roots[Int(trace)]
        rootRows.append(root < 0 ? -1 : local[root])
        previousTrace = trace
      }
      traceIndex[index] = Int32(rootRows.count - 1)
      let parent = table.parentIndex[row]
      parentIndex[index] = parent < 0 ? -1 : local[Int(parent)]
      edges[index] = table.edgeKind[row].rawValue
      kinds[index] = table.spanKind[row].rawValue
      services[index] = table.service[row]
      starts[index] = table.startNanos[row]
      durations[index] = table.durationNanos[row]
    }
    for row in rows { local[Int(row)] = -1 }

    selfNanos = [Int64](repeating: 0, count: count)
    criticalNanos = selfNanos
    waitNanos = selfNanos
    startOffsetNanos = selfNanos
    networkGapNanos = selfNanos
    depth = [Int32](repeating: 0, count: count)
    calleeRow = depth
    let traces = rootRows.count
    traceIndex.withUnsafeBufferPointer { traceIndex in
      parentIndex.withUnsafeBufferPointer { parentIndex in
        edges.withUnsafeBufferPointer { edgeKind in
          kinds.withUnsafeBufferPointer { spanKind in
            services.withUnsafeBufferPointer { service in
              starts.withUnsafeBufferPointer { start in
                durations.withUnsafeBufferPointer { duration in
                  var columns = wsl_span_columns(
                    count: count, trace_index: traceIndex.baseAddress,
                    parent_index: parentIndex.baseAddress, edge_kind: edgeKind.baseAddress,
                    span_kind: spanKind.baseAddress, service: service.baseAddress,
                    start_nanos: start.baseAddress, duration_nanos: duration.baseAddress)
                  selfNanos.withUnsafeMutableBufferPointer { selfOut in
                    criticalNanos.withUnsafeMutableBufferPointer { criticalOut in
                      waitNanos.withUnsafeMutableBufferPointer { waitOut in
                        startOffsetNanos.withUnsafeMutableBufferPointer { offsetOut in
                          depth.withUnsafeMutableBufferPointer { depthOut in
                            networkGapNanos.withUnsafeMutableBufferPointer { gapOut in
                              calleeRow.withUnsafeMutableBufferPointer { calleeOut in
                                var out = wsl_span_metrics(
                                  self_nanos: selfOut.baseAddress,
                                  critical_nanos: criticalOut.baseAddress,
                                  wait_nanos: waitOut.baseAddress,
                                  start_offset_nanos: offsetOut.baseAddress,
                                  depth: depthOut.baseAddress,
                                  network_gap_nanos: gapOut.baseAddress,
                                  callee_row: calleeOut.baseAddress)
                                rootRows.withUnsafeBufferPointer { rootsIn in
                                  wsl_compute_span_metrics(&columns, traces, rootsIn.baseAddress, &out)
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

/// One trace's spans laid out for a timeline (Gantt chart): each span's key, depth, start
/// from the trace's start, duration and time on the critical path, in depth-first order with
/// children by start.
public struct TraceTimeline: Sendable {
  /// One span.
  public struct Bar: Sendable {
    public let key: SpanKey
    public let depth: Int
    public let startMillis: Double
    public let durationMillis: Double
    /// Its time on the trace's critical path (0 when it is off it).
    public let criticalMillis: Double
    /// Whether its parent does not wait for it.
    public let isAsynchronous: Bool
    /// The index of its parent's bar, -1 for a root.
    public let parent: Int
  }

  public let traceID: String
  public let latencyMillis: Double
  public let bars: [Bar]

  /// The timeline of trace `traceID` of `table`, nil when the table has no such trace.
  public init?(table: SpanTable, traceID: String, options: FeatureOptions = FeatureOptions()) {
    guard let trace = (0..<table.traceCount).first(where: { table.traceID($0) == traceID }) else { return nil }
    let single = table.traces(where: (0..<table.traceCount).map { $0 == trace })
    let roots = single.rootRows()
    guard let root = roots.first, root >= 0 else { return nil }
    var keys = KeyRegistry(options: options)
    let batch = BatchSpans(table: single, keys: &keys)
    var local = [Int32](repeating: -1, count: single.spanCount)
    let metrics = SpanMetrics(single, rows: (0..<single.spanCount).map(Int32.init), roots: roots, local: &local)
    var children = [[Int]](repeating: [], count: single.spanCount)
    for span in 0..<single.spanCount where single.parentIndex[span] >= 0 {
      children[Int(single.parentIndex[span])].append(span)
    }
    let origin = single.startNanos[root]
    var bars: [Bar] = []
    var stack = ([root] + (0..<single.spanCount).filter { single.parentIndex[$0] < 0 && $0 != root }.reversed())
      .map { (span: $0, parentBar: -1) }
    while let (span, parentBar) = stack.popLast() {
      bars.append(
        Bar(
          key: keys.keys[Int(batch.key[span])], depth: Int(metrics.depth[span]),
          startMillis: millis(single.startNanos[span] - origin), durationMillis: millis(single.durationNanos[span]),
          criticalMillis: millis(metrics.criticalNanos[span]), isAsynchronous: single.edgeKind[span] == .followsFrom,
          parent: parentBar))
      let bar = bars.count - 1
      stack += children[span].sorted { (single.startNanos[$0], $0) > (single.startNanos[$1], $1) }.map { ($0, bar) }
    }
    self.traceID = terminalSafe(traceID)
    latencyMillis = millis(single.durationNanos[root])
    self.bars = bars
  }
}
