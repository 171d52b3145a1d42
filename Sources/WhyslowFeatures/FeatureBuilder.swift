import CWhyslowCore
import WhyslowIngest

extension FeatureMatrix {
  /// Builds the matrix of a fast and a slow batch over the union of their span keys.
  ///
  /// Per trace and key: summed self-time, critical-path time, wait and error count, the span
  /// count, the first span's start offset and depth, the network gap to each callee service,
  /// and attribute columns (see `FeatureOptions`). The interval work runs in the native core;
  /// the rest is one pass over the spans and one over the attributes.
  public init(fast: SpanTable, slow: SpanTable, options: FeatureOptions = FeatureOptions()) {
    var keys = KeyRegistry(options: options)
    var batches = [fast, slow].map { BatchSpans(table: $0, keys: &keys) }
    let folded = keys.foldRareKeys(&batches, limit: options.maxSpanKeys)
    let rows = fast.traceCount + slow.traceCount
    var accumulator = Accumulator(keys: keys.keys.count, rows: rows, options: options)
    var firstRow = 0
    for (index, batch) in batches.enumerated() {
      accumulator.add(batch, index: Int8(index), firstRow: firstRow)
      firstRow += batch.table.traceCount
    }
    let endpoints = Endpoints(batches, keys, rule: options.endpointRule)
    self = accumulator.matrix(
      keys: keys.keys, tables: batches.map(\.table),
      traceIDs: batches.flatMap { batch in batch.traceOfRow.map { terminalSafe(batch.table.traceID($0)) } },
      isSlow: [Bool](repeating: false, count: fast.traceCount)
        + [Bool](repeating: true, count: slow.traceCount),
      latencyMillis: batches.flatMap { batch in
        batch.traceOfRow.map { millis(batch.table.durationNanos[batch.roots[$0]]) }
      },
      entryPoints: endpoints.keys, endpointNote: endpoints.note,
      parentKeys: Self.usualParents(batches, keys.keys), foldedKeys: folded)
  }

  /// The (service, operation) key of every span of `table`, named as the matrix names them.
  public static func spanKeys(of table: SpanTable, options: FeatureOptions = FeatureOptions()) -> [SpanKey] {
    var keys = KeyRegistry(options: options)
    let batch = BatchSpans(table: table, keys: &keys)
    return batch.baseKey.map { keys.keys[Int($0)] }
  }

  /// Each key's most frequent synchronous parent key (ties: the smaller key).
  private static func usualParents(_ batches: [BatchSpans], _ keys: [SpanKey]) -> [SpanKey: SpanKey] {
    var pairs: [Int64: Int] = [:]
    for batch in batches {
      let table = batch.table
      for span in 0..<table.spanCount where table.parentIndex[span] >= 0 && table.edgeKind[span] != .followsFrom {
        let parent = Int(table.parentIndex[span])
        pairs[Int64(batch.key[span]) << 32 | Int64(batch.key[parent]), default: 0] += 1
      }
    }
    var best: [Int32: (parent: Int32, count: Int)] = [:]
    for (pair, count) in pairs {
      let (key, parent) = (Int32(pair >> 32), Int32(truncatingIfNeeded: pair))
      if let current = best[key],
        (current.count, keys[Int(parent)]) >= (count, keys[Int(current.parent)]) { continue }
      best[key] = (parent, count)
    }
    return Dictionary(uniqueKeysWithValues: best.map { (keys[Int($0.key)], keys[Int($0.value.parent)]) })
  }
}

/// Each trace's entry point by an `EndpointRule`, and the rule used in words.
private struct Endpoints {
  static let routeAttributes = ["http.route", "http.target", "url.path"]
  let keys: [SpanKey]
  let note: String

  init(_ batches: [BatchSpans], _ registry: KeyRegistry, rule: EndpointRule) {
    let roots = batches.flatMap { batch in batch.traceOfRow.map { batch.baseKey(of: batch.roots[$0], registry) } }
    var frequency: [SpanKey: Int] = [:]
    for key in roots { frequency[key, default: 0] += 1 }
    let dominant = frequency.max { ($0.value, $1.key) < ($1.value, $0.key) }
    let share = Double(dominant?.value ?? 0) / Double(max(roots.count, 1))
    let wildcard = dominant.map { $0.key.operation.contains("*") || $0.key.operation == "/" } ?? false
    let routes = batches.flatMap { batch in batch.inRowOrder(batch.rootRoutes(registry)) }
    let children = batches.flatMap { batch in batch.inRowOrder(batch.firstServerBelowRoot(registry)) }
    func derived(_ values: [SpanKey?]) -> [SpanKey] { zip(values, roots).map { $0 ?? $1 } }
    let because =
      dominant.map {
        wildcard
          ? "the root operation \($0.key) is a wildcard"
          : "one root operation, \($0.key), covers \(Int((share * 100).rounded(.down)))% of traces"
      } ?? ""
    let routeCount = Set(routes.compactMap { $0 }).count
    let childCount = Set(children.compactMap { $0 }).count
    switch rule {
    case .root:
      (keys, note) = (roots, "endpoints: root span keys (--endpoint-by root)")
    case .route:
      (keys, note) = (derived(routes), "endpoints: route attributes of root spans (--endpoint-by route)")
    case .child:
      (keys, note) = (derived(children), "endpoints: first server span below the root (--endpoint-by child)")
    case .automatic where !(wildcard || share >= 0.95) || roots.isEmpty:
      (keys, note) = (roots, "")
    case .automatic where routeCount > 1:
      (keys, note) = (
        derived(routes),
        "endpoints: route attributes of root spans, because \(because); --endpoint-by root|route|child overrides"
      )
    case .automatic where childCount <= 1:
      (keys, note) = (roots, "")
    case .automatic:
      (keys, note) = (
        derived(children),
        "endpoints: first server span below the root, because \(because); --endpoint-by root|route|child overrides"
      )
    }
  }
}

private func millis(_ nanos: Int64) -> Double { Double(nanos) / 1_000_000 }

/// Dense ids for span keys, shared by both batches.
private struct KeyRegistry {
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

  /// Keeps the `limit` span keys with the most spans (ties: the smaller key) and folds the
  /// others into one "(other operations)" key per service, so that the matrix is bounded
  /// whatever the names; the batches' feature keys are renumbered. Returns how many keys were
  /// folded (0 when within the limit).
  mutating func foldRareKeys(_ batches: inout [BatchSpans], limit: Int) -> Int {
    guard keys.count > limit else { return 0 }
    var spans = [Int](repeating: 0, count: keys.count)
    for batch in batches { for key in batch.key { spans[Int(key)] += 1 } }
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
    for index in batches.indices { batches[index].key = batches[index].key.map { renumbered[Int($0)] } }
    return old.count - kept.count
  }
}

/// One batch with its trace roots and span key ids.
private struct BatchSpans {
  let table: SpanTable
  let roots: [Int]
  /// The key id of each span: (service, operation), or with path keys its whole lineage.
  var key: [Int32]
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
    var keyOfPair: [Int64: Int32] = [:]
    let operationNames = operations.map { keys.operationName(table.strings[Int($0)]) }
    var baseKey = [Int32](repeating: 0, count: table.spanCount)
    for span in 0..<table.spanCount {
      let operation = operationIndex[Int(table.operation[span])]
      let pair = Int64(serviceIndex[Int(table.service[span])]) << 32 | Int64(operation)
      if let known = keyOfPair[pair] {
        baseKey[span] = known
        continue
      }
      let id = keys.id(
        of: SpanKey(service: keys.bounded(table.strings[Int(table.service[span])]), operation: operationNames[Int(operation)]))
      keyOfPair[pair] = id
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
private struct SpanMetrics {
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

/// Attribute keys and values of both batches interned together, so the per-attribute loop
/// compares integers, not strings.
private struct NameRegistry {
  /// Attribute keys that are features already (kind, status) or describe the tracer.
  static let ignoredKeys: Set<String> = [
    "span.kind", "error", "otel.status_code", "otel.status_description", "internal.span.format",
    "otel.library.name", "otel.library.version", "otel.scope.name", "otel.scope.version",
  ]
  private var names: [String] = []
  private var ids: [String: Int32] = [:]
  private var ignored: [Bool] = []

  mutating func id(_ name: String) -> Int32 {
    if let id = ids[name] { return id }
    let id = Int32(names.count)
    names.append(name)
    ignored.append(Self.ignoredKeys.contains(name))
    ids[name] = id
    return id
  }

  func name(_ id: Int32) -> String { terminalSafe(names[Int(id)]) }
  func isIgnored(_ id: Int32) -> Bool { ignored[Int(id)] }
}

/// Sums the features of every (key, trace) pair.
private struct Accumulator {
  let keyCount: Int
  let rows: Int
  let options: FeatureOptions
  /// The fixed features, each keyCount × rows, key-major (key k, row r at k * rows + r).
  var selfTime: [Double]
  var criticalTime: [Double]
  var count: [Double]
  var wait: [Double]
  var errors: [Double]
  var startOffset: [Double]  // NaN until the key is seen in the row
  var depth: [Double]
  /// Network gaps per (key, callee service), sparse: the rows a client key calls the callee in
  /// and the gap summed over those calls (rows in the order first seen).
  var gapSlot: [NetworkSlot: Int] = [:]
  var gapRows: [[Int32]] = []
  var gapValues: [[Double]] = []
  /// Attribute keys and values of both batches, interned together.
  var names = NameRegistry()
  /// Attribute occurrences per (span key, attribute key), by `slotIndex`.
  var attributeSlots: [AttributeValues] = []
  /// Slot of (span key, attribute key): slotOf[span key][attributeKeyIndex[name]], -1 if none.
  var slotOf: [[Int32]] = []
  var attributeKeyIndex: [Int32: Int] = [:]
  /// Scratch for counting an attribute's distinct values: per table string id, the stamp of
  /// the attribute that last saw it.
  var valueStamp: [[Int32]] = []
  var stamp: Int32 = 0

  /// Callee services by id, the same in both batches (NetworkSlot compares integers).
  var calleeNames: [String] = []
  var calleeID: [String: Int32] = [:]

  struct NetworkSlot: Hashable {
    let key: Int32
    let callee: Int32
  }

  /// The values an attribute took on one span key: (row, value name id, number) per occurrence.
  struct AttributeValues {
    let key: Int32
    let name: Int32
    /// Values are the table's own string ids (`batch` says which table): names are looked up
    /// only for attributes that can become columns, so an id-like value costs no hashing.
    var occurrences: [(row: Int32, value: Int32, batch: Int8, number: Double)] = []
    var allNumeric = true
    var anyDouble = false
  }

  init(keys: Int, rows: Int, options: FeatureOptions) {
    keyCount = keys
    self.rows = rows
    self.options = options
    let zeros = [Double](repeating: 0, count: keys * rows)
    selfTime = zeros
    criticalTime = zeros
    count = zeros
    wait = zeros
    errors = zeros
    depth = zeros
    startOffset = [Double](repeating: .nan, count: keys * rows)
  }

  mutating func add(_ batch: BatchSpans, index: Int8, firstRow: Int) {
    let table = batch.table
    var local = [Int32](repeating: -1, count: table.spanCount)
    var callees = [Int32](repeating: -1, count: table.strings.count)  // table string -> callee id
    for chunk in SpanMetrics.chunks(table) {
      let metrics = SpanMetrics(table, rows: chunk, roots: batch.roots, local: &local)
      add(metrics, of: batch, firstRow: firstRow, callees: &callees)
    }
    addAttributes(of: batch, index: index, firstRow: firstRow)
  }

  /// Sums one chunk's span metrics into the (key, trace) cells.
  private mutating func add(_ metrics: SpanMetrics, of batch: BatchSpans, firstRow: Int, callees: inout [Int32]) {
    let table = batch.table
    for (position, tableRow) in metrics.rows.enumerated() {
      let span = Int(tableRow)
      let row = firstRow + Int(batch.rowOfTrace[Int(table.traceIndex[span])])
      let cell = Int(batch.key[span]) * rows + row
      selfTime[cell] += millis(metrics.selfNanos[position])
      criticalTime[cell] += millis(metrics.criticalNanos[position])
      count[cell] += 1
      wait[cell] += millis(metrics.waitNanos[position])
      if table.isError[span] { errors[cell] += 1 }
      let offset = millis(metrics.startOffsetNanos[position])
      if !(startOffset[cell] <= offset) {  // first span of the key (NaN compares false)
        startOffset[cell] = offset
        depth[cell] = Double(metrics.depth[position])
      }
      let callee = Int(metrics.calleeRow[position])
      if callee >= 0 {
        let calleeService = table.service[Int(metrics.rows[callee])]
        if callees[Int(calleeService)] < 0 {
          let name = table.strings[Int(calleeService)]
          callees[Int(calleeService)] = calleeID[name] ?? {
            calleeNames.append(name)
            calleeID[name] = Int32(calleeNames.count - 1)
            return Int32(calleeNames.count - 1)
          }()
        }
        let slot = NetworkSlot(key: batch.key[span], callee: callees[Int(calleeService)])
        let index = gapSlot[slot] ?? {
          gapRows.append([])
          gapValues.append([])
          gapSlot[slot] = gapRows.count - 1
          return gapRows.count - 1
        }()
        let gap = millis(metrics.networkGapNanos[position])
        if gapRows[index].last == Int32(row) {
          gapValues[index][gapValues[index].count - 1] += gap
        } else {
          gapRows[index].append(Int32(row))
          gapValues[index].append(gap)
        }
      }
    }
  }

  /// Collects every attribute occurrence per (span key, attribute key).
  private mutating func addAttributes(of batch: BatchSpans, index batchIndex: Int8, firstRow: Int) {
    let table = batch.table
    let attributes = table.attributes
    var nameOf = [Int32](repeating: -1, count: table.strings.count)  // table string -> name id
    func name(_ string: Int32) -> Int32 {
      if nameOf[Int(string)] < 0 { nameOf[Int(string)] = names.id(table.strings[Int(string)]) }
      return nameOf[Int(string)]
    }
    var keyIndexOf = [Int](repeating: -1, count: table.strings.count)  // table string -> index
    for item in 0..<attributes.count where attributes.type[item] != .event {
      let keyString = Int(attributes.key[item])
      if keyIndexOf[keyString] < 0 {
        let attributeName = name(attributes.key[item])
        keyIndexOf[keyString] = attributeKeyIndex[attributeName] ?? {
          attributeKeyIndex[attributeName] = attributeKeyIndex.count
          return attributeKeyIndex.count - 1
        }()
      }
      let keyIndex = keyIndexOf[keyString]
      let span = Int(attributes.span[item])
      let spanKey = Int(batch.key[span])
      if slotOf.count <= spanKey { slotOf += Array(repeating: [], count: spanKey + 1 - slotOf.count) }
      if slotOf[spanKey].count <= keyIndex {
        slotOf[spanKey] += Array(repeating: -1, count: attributeKeyIndex.count - slotOf[spanKey].count)
      }
      if slotOf[spanKey][keyIndex] == -2 { continue }  // an ignored attribute key
      if slotOf[spanKey][keyIndex] < 0 {
        let attributeName = name(attributes.key[item])
        if names.isIgnored(attributeName) {
          slotOf[spanKey][keyIndex] = -2
          continue
        }
        attributeSlots.append(AttributeValues(key: batch.key[span], name: attributeName))
        slotOf[spanKey][keyIndex] = Int32(attributeSlots.count - 1)
      }
      let slot = Int(slotOf[spanKey][keyIndex])
      let type = attributes.type[item]
      attributeSlots[slot].occurrences.append(
        (Int32(firstRow) + batch.rowOfTrace[Int(table.traceIndex[span])], attributes.text[item], batchIndex,
         attributes.number[item]))
      if type != .int && type != .double { attributeSlots[slot].allNumeric = false }
      if type == .double { attributeSlots[slot].anyDouble = true }
    }
  }

  /// The columns in schema order, constant ones and id-like attributes left out and reported.
  mutating func matrix(
    keys: [SpanKey], tables: [SpanTable], traceIDs: [String], isSlow: [Bool], latencyMillis: [Double],
    entryPoints: [SpanKey], endpointNote: String, parentKeys: [SpanKey: SpanKey], foldedKeys: Int
  ) -> FeatureMatrix {
    var candidates: [(FeatureColumn, ArraySlice<Double>)] = []
    var gaps: [SparseColumns.Column] = []
    var sparse: [SparseColumns.Column] = []
    var dropped: [(name: String, reason: String)] = []
    let fixed: [(FeatureKind, [Double])] = [
      (.selfTime, selfTime), (.criticalTime, criticalTime), (.count, count),
      (.startOffset, startOffset.map { $0.isNaN ? 0 : $0 }), (.wait, wait), (.error, errors),
      (.depth, depth),
    ]
    let gapsByKey = Dictionary(grouping: gapSlot.keys, by: \.key)
    let attributesByKey = Dictionary(grouping: attributeSlots.indices, by: { attributeSlots[$0].key })
    for key in keys.indices.sorted(by: { keys[$0] < keys[$1] }) {
      let range = (key * rows)..<((key + 1) * rows)
      for (kind, values) in fixed {
        candidates.append((FeatureColumn(key: keys[key], kind: kind), values[range]))
      }
      for slot in (gapsByKey[Int32(key)] ?? []).sorted(by: { calleeNames[Int($0.callee)] < calleeNames[Int($1.callee)] }) {
        let column = FeatureColumn(key: keys[key], kind: .networkGap, peerService: calleeNames[Int(slot.callee)])
        let gap = networkGap(column, slot: gapSlot[slot] ?? 0)
        let varies = gap.rows.count < rows ? gap.values.contains { $0 != 0 } : Set(gap.values).count > 1
        if varies || !options.dropConstantColumns {
          gaps.append(gap)
        } else {
          dropped.append((describe(column), "never varies"))
        }
      }
      let slots = (attributesByKey[Int32(key)] ?? []).map { attributeSlots[$0] }
      for values in slots.sorted(by: { names.name($0.name) < names.name($1.name) }) {
        let built = attributeColumns(keys[key], names.name(values.name), values, tables)
        sparse += built.columns
        dropped += built.dropped
      }
    }
    var columns: [FeatureColumn] = []
    var matrixValues: [Double] = []
    matrixValues.reserveCapacity(candidates.count * rows)
    // Explanatory columns first, outcomes after: the regression design is then a prefix of the
    // matrix's storage and needs no copy.
    let ordered = candidates.filter { $0.0.kind.isExplanatory } + candidates.filter { !$0.0.kind.isExplanatory }
    for (column, values) in ordered {
      let varies = values.first.map { first in values.contains { $0 != first } } ?? false
      guard varies || !options.dropConstantColumns else {
        dropped.append((describe(column), "never varies"))
        continue
      }
      columns.append(column)
      matrixValues.append(contentsOf: values)
    }
    return FeatureMatrix(
      columns: columns, values: matrixValues, traceIDs: traceIDs, isSlow: isSlow,
      latencyMillis: latencyMillis, entryPoints: entryPoints, endpointNote: endpointNote,
      parentKeys: parentKeys, foldedKeys: foldedKeys, droppedColumns: dropped,
      networkGaps: SparseColumns(rows: rows, entries: gaps), attributes: SparseColumns(rows: rows, entries: sparse))
  }

  /// The network gap column of one slot, rows ascending; a trace whose calls came apart in
  /// span order gets its gaps summed in that order, as a dense sum would.
  private func networkGap(_ column: FeatureColumn, slot: Int) -> SparseColumns.Column {
    let rows = gapRows[slot]
    let values = gapValues[slot]
    if zip(rows, rows.dropFirst()).allSatisfy({ $0 < $1 }) {
      return SparseColumns.Column(column: column, rows: rows, values: values)
    }
    var merged: [(row: Int32, value: Double)] = []
    for position in rows.indices.sorted(by: { (rows[$0], $0) < (rows[$1], $1) }) {
      if merged.last?.row == rows[position] {
        merged[merged.count - 1].value += values[position]
      } else {
        merged.append((rows[position], values[position]))
      }
    }
    return SparseColumns.Column(column: column, rows: merged.map(\.row), values: merged.map(\.value))
  }

  /// Numeric attributes become their mean per trace; categorical ones one 0/1 column per
  /// frequent value. An attribute that, in every batch it occurs in, has more distinct values
  /// than `maxAttributeValues` that are also more than half its occurrences there looks like an
  /// id or a timestamp and is left out, before any of its values is named.
  /// Fewest traces with (and without) an attribute value for it to get a column (a tenth of
  /// the traces in very small batches).
  static let minimumSupport = 5

  private mutating func attributeColumns(
    _ key: SpanKey, _ name: String, _ values: AttributeValues, _ tables: [SpanTable]
  ) -> (columns: [SparseColumns.Column], dropped: [(name: String, reason: String)]) {
    let limit = max(1, options.maxAttributeValues)
    // Distinct values per batch by marking each table string id with this attribute's stamp.
    if valueStamp.count != tables.count { valueStamp = tables.map { [Int32](repeating: -1, count: $0.strings.count) } }
    stamp += 1
    var distinctPerBatch = [Int](repeating: 0, count: tables.count)
    var occurrencesPerBatch = [Int](repeating: 0, count: tables.count)
    for occurrence in values.occurrences {
      let batch = Int(occurrence.batch)
      occurrencesPerBatch[batch] += 1
      if occurrence.value < 0 {
        distinctPerBatch[batch] += 1  // an unrecorded value: each its own
      } else if valueStamp[batch][Int(occurrence.value)] != stamp {
        valueStamp[batch][Int(occurrence.value)] = stamp
        distinctPerBatch[batch] += 1
      }
    }
    let label = "\(key) attr:\(name)"
    let idLike = tables.indices.allSatisfy { batch in
      occurrencesPerBatch[batch] == 0
        || (distinctPerBatch[batch] > limit && distinctPerBatch[batch] * 2 > occurrencesPerBatch[batch])
    }
    if values.allNumeric {
      func moreNumbersThanLimit() -> Bool {
        var seen = Set<UInt64>()
        for occurrence in values.occurrences where seen.insert(occurrence.number.bitPattern).inserted {
          if seen.count > limit { return true }
        }
        return false
      }
      if values.anyDouble || moreNumbersThanLimit() {
        var sum = [Double](repeating: 0, count: rows)
        var seen = [Double](repeating: 0, count: rows)
        for occurrence in values.occurrences where occurrence.number.isFinite {
          sum[Int(occurrence.row)] += occurrence.number
          seen[Int(occurrence.row)] += 1
        }
        let present = (0..<rows).filter { seen[$0] > 0 }
        let means = present.map { sum[$0] / seen[$0] }
        let column = FeatureColumn(key: key, kind: .numericAttribute(key: name))
        guard Set(means).count > 1 || (present.count < rows && means.contains { $0 != 0 }) else {
          return ([], [("\(key) attr:\(name)", "never varies")])
        }
        return ([SparseColumns.Column(column: column, rows: present.map(Int32.init), values: means)], [])
      }
    } else if idLike {
      let distinct = distinctPerBatch.max() ?? 0
      return (
        [],
        [(label, "\(distinct) distinct values in \(values.occurrences.count) spans: looks like an id")]
      )
    }
    // Values named across both batches: a table's string ids mean nothing in the other.
    var nameOf: [Int64: Int32] = [:]  // (batch, table string id) -> name id
    var frequency: [Int32: Int] = [:]
    var named: [Int32] = []
    named.reserveCapacity(values.occurrences.count)
    for occurrence in values.occurrences {
      guard occurrence.value >= 0 else {
        named.append(-1)  // an unrecorded value: never one of the columns
        continue
      }
      let local = Int64(occurrence.batch) << 32 | Int64(occurrence.value)
      let id = nameOf[local] ?? {
        let id = names.id(tables[Int(occurrence.batch)].strings[Int(occurrence.value)])
        nameOf[local] = id
        return id
      }()
      named.append(id)
      frequency[id, default: 0] += 1
    }
    let kept = frequency.map { (name: names.name($0.key), id: $0.key, count: $0.value) }
      .sorted { ($1.count, $0.name) < ($0.count, $1.name) }.prefix(limit)
    var dropped: [(name: String, reason: String)] = []
    if frequency.count > limit {
      dropped.append(
        (label, "\(frequency.count - limit) of \(frequency.count) values beyond the \(limit) most frequent"))
    }
    // A value on a handful of traces (or on all but a handful) cannot be estimated: no column.
    let support = max(1, min(Self.minimumSupport, rows / 10))
    let columns = kept.sorted { $0.name < $1.name }.compactMap { value -> SparseColumns.Column? in
      let present = Set(zip(values.occurrences, named).filter { $0.1 == value.id }.map(\.0.row)).sorted()
      guard present.count >= support, rows - present.count >= support else {
        dropped.append((label + "=" + value.name, "on \(present.count) of \(rows) traces: too few to compare"))
        return nil
      }
      return SparseColumns.Column(
        column: FeatureColumn(key: key, kind: .attribute(key: name, value: value.name)), rows: present,
        values: [Double](repeating: 1, count: present.count))
    }
    return (columns, dropped)
  }

  private func describe(_ column: FeatureColumn) -> String {
    let peer = column.peerService.isEmpty ? "" : " → \(column.peerService)"
    return "\(column.key) \(column.kind.name)\(peer)"
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
    var stack = [root] + (0..<single.spanCount).filter { single.parentIndex[$0] < 0 && $0 != root }.reversed()
    while let span = stack.popLast() {
      bars.append(
        Bar(
          key: keys.keys[Int(batch.key[span])], depth: Int(metrics.depth[span]),
          startMillis: millis(single.startNanos[span] - origin), durationMillis: millis(single.durationNanos[span]),
          criticalMillis: millis(metrics.criticalNanos[span]), isAsynchronous: single.edgeKind[span] == .followsFrom))
      stack += children[span].sorted { (single.startNanos[$0], $0) > (single.startNanos[$1], $1) }
    }
    self.traceID = terminalSafe(traceID)
    latencyMillis = millis(single.durationNanos[root])
    self.bars = bars
  }
}
