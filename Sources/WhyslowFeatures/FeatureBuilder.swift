import Dispatch
import WhyslowIngest

extension FeatureMatrix {
  /// Builds the matrix of a fast and a slow batch over the union of their span keys.
  ///
  /// Per trace and key: summed self-time, critical-path time, wait and error count, the span
  /// count, the first span's start offset and depth, the network gap to each callee service,
  /// and attribute columns (see `FeatureOptions`). Each batch is summarized on a core of its
  /// own (`TraceSummaries`: the interval work runs in the native core), then assembled.
  public init(fast: SpanTable, slow: SpanTable, options: FeatureOptions = FeatureOptions()) {
    let (fastSummaries, slowSummaries) = concurrently(
      { TraceSummaries(table: fast, isSlow: false, options: options) },
      { TraceSummaries(table: slow, isSlow: true, options: options) })
    self.init(assembling: [fastSummaries, slowSummaries], options: options)
  }

  /// Assembles the summaries of shards of whole traces, fast and slow, in any number and
  /// order: the matrix is the one a single table of all their traces gives. Fails when a trace
  /// id appears twice in a batch (a trace split between shards).
  public init(summaries: [TraceSummaries], options: FeatureOptions = FeatureOptions()) throws(FeatureError) {
    try Self.checkWholeTraces(summaries)
    self.init(assembling: summaries, options: options)
  }

  /// Fails when a trace id appears twice in a batch of `summaries`.
  public static func checkWholeTraces(_ summaries: [TraceSummaries]) throws(FeatureError) {
    for slow in [false, true] {
      var seen = Set<String>()
      for id in summaries.filter({ $0.isSlow == slow }).flatMap(\.traceIDs) where !seen.insert(id).inserted {
        throw .traceInTwoShards(traceID: terminalSafe(id), batch: slow ? "slow" : "fast")
      }
    }
  }

  private init(assembling summaries: [TraceSummaries], options: FeatureOptions) {
    let rows = TraceRows(summaries)
    var registry = KeyRegistry(options: options)
    var keyOf = summaries.map { summary in summary.keys.map { registry.id(of: $0) } }
    var spans = [Double](repeating: 0, count: registry.keys.count)
    for (summary, keys) in zip(summaries, keyOf) {
      for (key, count) in zip(summary.cells.key, summary.cells.count) { spans[Int(keys[Int(key)])] += count }
    }
    let (renumbered, folded) = registry.foldRareKeys(spans: spans, limit: options.maxSpanKeys)
    if let renumbered { keyOf = keyOf.map { keys in keys.map { renumbered[Int($0)] } } }
    // The fixed features and network gaps on one core while the other collects the attribute
    // occurrences; then the attribute columns on both. Each accumulator goes over all
    // summaries in order and gives its columns key by key in schema order.
    let order = registry.keys.indices.sorted { registry.keys[$0] < registry.keys[$1] }
    let (keys, keyIDs) = (registry.keys, keyOf)
    let (dense, attributeOccurrences) = concurrently(
      {
        var accumulator = DenseAccumulator(keys: keys.count, rows: rows.count, options: options)
        for (index, summary) in summaries.enumerated() { accumulator.add(summary, keys: keyIDs[index], rows: rows.rowOf[index]) }
        return accumulator.columns(keys: keys, order: order)
      },
      {
        AttributeAccumulator(
          summaries, keyOf: keyIDs, rowOf: rows.rowOf, keyCount: keys.count, rows: rows.count, options: options)
      })
    let attributes = attributeOccurrences.columns(keys: keys, order: order)  // again on both cores
    // Left out: per key, its network gaps', then its attributes'; then the constant fixed columns.
    let dropped = zip(dense.droppedGaps, attributes.dropped).flatMap { $0 + $1 } + dense.droppedConstant
    let endpoints = Endpoints(
      roots: rows.gather(\.rootKeys, summaries), routes: rows.gather(\.routeKeys, summaries),
      children: rows.gather(\.serverKeys, summaries), rule: options.endpointRule)
    self.init(
      columns: dense.columns, values: dense.values, traceIDs: rows.gather(\.traceIDs, summaries).map(terminalSafe),
      isSlow: [Bool](repeating: false, count: rows.fastCount) + [Bool](repeating: true, count: rows.count - rows.fastCount),
      latencyMillis: rows.gather(\.latencyMillis, summaries), entryPoints: endpoints.keys,
      endpointNote: endpoints.note, parentKeys: Self.usualParents(summaries, keyOf, keys),
      foldedKeys: folded, droppedColumns: dropped,
      networkGaps: SparseColumns(rows: rows.count, entries: dense.gaps),
      calls: SparseColumns(rows: rows.count, entries: dense.calls),
      attributes: SparseColumns(rows: rows.count, entries: attributes.columns.flatMap { $0 }))
  }

  /// The entry point and latency of every trace of `table` as an analysis names its endpoints
  /// (`FeatureOptions.endpointRule` applied to this table alone), and the rule's note.
  public static func entryPoints(of table: SpanTable, options: FeatureOptions = FeatureOptions())
    -> (endpoints: [SpanKey], latencyMillis: [Double], note: String)
  {
    let summaries = TraceSummaries(table: table, isSlow: false, options: options)
    let endpoints = Endpoints(
      roots: summaries.rootKeys, routes: summaries.routeKeys, children: summaries.serverKeys,
      rule: options.endpointRule)
    return (endpoints.keys, summaries.latencyMillis, endpoints.note)
  }

  /// The (service, operation) key of every span of `table`, named as the matrix names them.
  public static func spanKeys(of table: SpanTable, options: FeatureOptions = FeatureOptions()) -> [SpanKey] {
    var keys = KeyRegistry(options: options)
    let batch = BatchSpans(table: table, keys: &keys)
    return batch.baseKey.map { keys.keys[Int($0)] }
  }

  /// Each key's most frequent synchronous parent key (ties: the smaller key).
  private static func usualParents(_ summaries: [TraceSummaries], _ keyOf: [[Int32]], _ keys: [SpanKey])
    -> [SpanKey: SpanKey]
  {
    var pairs: [Int64: Int] = [:]
    for (summary, local) in zip(summaries, keyOf) {
      for pair in summary.parentPairs {
        pairs[Int64(local[Int(pair.key)]) << 32 | Int64(local[Int(pair.parent)]), default: 0] += pair.count
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

/// Why summaries cannot be assembled.
public enum FeatureError: Error, Equatable, CustomStringConvertible {
  /// Spans of one trace were summarized in two shards: traces must be whole in one shard.
  case traceInTwoShards(traceID: String, batch: String)

  public var description: String {
    switch self {
    case .traceInTwoShards(let traceID, let batch):
      return "trace \(traceID) of the \(batch) batch appears twice (in two partials?): each trace must be whole in one shard (group spans by trace id first)"
    }
  }
}

/// The matrix rows of summaries: the fast batch's traces, then the slow batch's, each by trace
/// id, so that the same traces in any shards and order give the same rows.
private struct TraceRows {
  /// Each summary's rows by its own row.
  let rowOf: [[Int32]]
  /// (summary, its row) of each matrix row.
  let order: [(summary: Int, row: Int)]
  let fastCount: Int
  var count: Int { order.count }

  init(_ summaries: [TraceSummaries]) {
    let batches = [false, true].map { slow in
      let members = summaries.indices.filter { summaries[$0].isSlow == slow }
      var batch = members.flatMap { summary in summaries[summary].traceIDs.indices.map { (summary: summary, row: $0) } }
      func id(_ entry: (summary: Int, row: Int)) -> String { summaries[entry.summary].traceIDs[entry.row] }
      if !zip(batch, batch.dropFirst()).allSatisfy({ id($0) < id($1) }) { batch.sort { id($0) < id($1) } }
      return batch
    }
    let order = batches[0] + batches[1]
    fastCount = batches[0].count
    var rowOf = summaries.map { [Int32](repeating: 0, count: $0.traceCount) }
    for (row, entry) in order.enumerated() { rowOf[entry.summary][entry.row] = Int32(row) }
    self.rowOf = rowOf
    self.order = order
  }

  /// A per-trace property of the summaries in matrix row order.
  func gather<T>(_ property: KeyPath<TraceSummaries, [T]>, _ summaries: [TraceSummaries]) -> [T] {
    let columns = summaries.map { $0[keyPath: property] }
    return order.map { columns[$0.summary][$0.row] }
  }
}

/// Each trace's entry point by an `EndpointRule`, and the rule used in words.
struct Endpoints {
  static let routeAttributes = ["http.route", "http.target", "url.path"]
  let keys: [SpanKey]
  let note: String

  /// From each trace's root key, root route and first server span below the root.
  init(roots: [SpanKey], routes: [SpanKey?], children: [SpanKey?], rule: EndpointRule) {
    var frequency: [SpanKey: Int] = [:]
    for key in roots { frequency[key, default: 0] += 1 }
    let dominant = frequency.max { ($0.value, $1.key) < ($1.value, $0.key) }
    let share = Double(dominant?.value ?? 0) / Double(max(roots.count, 1))
    let wildcard = dominant.map { $0.key.operation.contains("*") || $0.key.operation == "/" } ?? false
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

/// Attribute keys and values of every summary interned together, so the per-attribute loop
/// compares integers, not strings.
struct NameRegistry {
  /// Attribute keys that are features already (kind, status) or describe the tracer.
  static let ignoredKeys: Set<String> = [
    "span.kind", "error", "otel.status_code", "otel.status_description", "internal.span.format",
    "otel.library.name", "otel.library.version", "otel.scope.name", "otel.scope.version",
  ]
  private var names: [String] = []
  private var ids: [String: Int32] = [:]

  mutating func id(_ name: String) -> Int32 {
    if let id = ids[name] { return id }
    let id = Int32(names.count)
    names.append(name)
    ids[name] = id
    return id
  }

  func name(_ id: Int32) -> String { terminalSafe(names[Int(id)]) }
}

/// Sums the trace summaries into the fixed features and network gaps of every (key, trace) pair.
private struct DenseAccumulator {
  let rows: Int
  let options: FeatureOptions
  /// The fixed features, each keys × rows, key-major (key k, row r at k * rows + r).
  var selfTime: [Double]
  var criticalTime: [Double]
  var count: [Double]
  var wait: [Double]
  var errors: [Double]
  var startOffset: [Double]  // NaN until the key is seen in the row
  var depth: [Double]
  /// Calls per (key, callee service), sparse: the rows a client key calls the callee in, and
  /// the network gap and the critical-path time summed over those calls (rows in the order
  /// first seen).
  var gapSlot: [NetworkSlot: Int] = [:]
  var gapRows: [[Int32]] = []
  var gapValues: [[Double]] = []
  var callCritical: [[Double]] = []
  /// Callee services by id, the same in every summary (NetworkSlot compares integers).
  var calleeNames: [String] = []
  var calleeID: [String: Int32] = [:]

  struct NetworkSlot: Hashable {
    let key: Int32
    let callee: Int32
  }

  /// The dense columns that vary (explanatory first, then outcomes), the network gap columns
  /// that vary, the critical-path time of every (key, callee) call, and what was left out: per
  /// key in schema order its gaps, then constant columns.
  struct Columns {
    var columns: [FeatureColumn] = []
    var values: [Double] = []
    var gaps: [SparseColumns.Column] = []
    var calls: [SparseColumns.Column] = []
    var droppedGaps: [[(name: String, reason: String)]] = []
    var droppedConstant: [(name: String, reason: String)] = []
  }

  init(keys: Int, rows: Int, options: FeatureOptions) {
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

  /// Adds one summary: `keys` maps its key ids to the matrix's, `rowOf` its rows.
  mutating func add(_ summary: TraceSummaries, keys: [Int32], rows rowOf: [Int32]) {
    let cells = summary.cells
    for cell in cells.row.indices {
      let at = Int(keys[Int(cells.key[cell])]) * rows + Int(rowOf[Int(cells.row[cell])])
      selfTime[at] += cells.selfMillis[cell]
      criticalTime[at] += cells.criticalMillis[cell]
      count[at] += cells.count[cell]
      wait[at] += cells.waitMillis[cell]
      errors[at] += cells.errors[cell]
      if !(startOffset[at] <= cells.startOffsetMillis[cell]) {  // first of folded keys (NaN compares false)
        startOffset[at] = cells.startOffsetMillis[cell]
        depth[at] = cells.depth[cell]
      }
    }
    var callees = [Int32](repeating: -1, count: summary.strings.count)  // summary string -> callee id
    let calls = summary.calls
    for entry in calls.row.indices {
      let service = Int(calls.callee[entry])
      if callees[service] < 0 {
        let name = summary.strings[service]
        callees[service] = calleeID[name] ?? {
          calleeNames.append(name)
          calleeID[name] = Int32(calleeNames.count - 1)
          return Int32(calleeNames.count - 1)
        }()
      }
      let slot = NetworkSlot(key: keys[Int(calls.key[entry])], callee: callees[service])
      let index = gapSlot[slot] ?? {
        gapRows.append([])
        gapValues.append([])
        callCritical.append([])
        gapSlot[slot] = gapRows.count - 1
        return gapRows.count - 1
      }()
      gapRows[index].append(rowOf[Int(calls.row[entry])])
      gapValues[index].append(calls.gapMillis[entry])
      callCritical[index].append(calls.criticalMillis[entry])
    }
  }

  /// The columns of `keys` taken in `order` (schema order), constant ones left out and reported.
  func columns(keys: [SpanKey], order: [Int]) -> Columns {
    var result = Columns()
    var candidates: [(FeatureColumn, ArraySlice<Double>)] = []
    let fixed: [(FeatureKind, [Double])] = [
      (.selfTime, selfTime), (.criticalTime, criticalTime), (.count, count),
      (.startOffset, startOffset.map { $0.isNaN ? 0 : $0 }), (.wait, wait), (.error, errors),
      (.depth, depth),
    ]
    let gapsByKey = Dictionary(grouping: gapSlot.keys, by: \.key)
    for key in order {
      let range = (key * rows)..<((key + 1) * rows)
      for (kind, values) in fixed {
        candidates.append((FeatureColumn(key: keys[key], kind: kind), values[range]))
      }
      var dropped: [(name: String, reason: String)] = []
      for slot in (gapsByKey[Int32(key)] ?? []).sorted(by: { calleeNames[Int($0.callee)] < calleeNames[Int($1.callee)] }) {
        let (callee, index) = (calleeNames[Int(slot.callee)], gapSlot[slot] ?? 0)
        let column = FeatureColumn(key: keys[key], kind: .networkGap, peerService: callee)
        let gap = summed(column, rows: gapRows[index], values: gapValues[index])
        let critical = FeatureColumn(key: keys[key], kind: .criticalTime, peerService: callee)
        result.calls.append(summed(critical, rows: gapRows[index], values: callCritical[index]))
        let varies = gap.rows.count < rows ? gap.values.contains { $0 != 0 } : Set(gap.values).count > 1
        if varies || !options.dropConstantColumns {
          result.gaps.append(gap)
        } else {
          dropped.append((describe(column), "never varies"))
        }
      }
      result.droppedGaps.append(dropped)
    }
    result.values.reserveCapacity(candidates.count * rows)
    // Explanatory columns first, outcomes after: the regression design is then a prefix of the
    // matrix's storage and needs no copy.
    let ordered = candidates.filter { $0.0.kind.isExplanatory } + candidates.filter { !$0.0.kind.isExplanatory }
    for (column, values) in ordered {
      let varies = values.first.map { first in values.contains { $0 != first } } ?? false
      guard varies || !options.dropConstantColumns else {
        result.droppedConstant.append((describe(column), "never varies"))
        continue
      }
      result.columns.append(column)
      result.values.append(contentsOf: values)
    }
    return result
  }

  /// A call column of one slot, rows ascending; a trace whose calls came apart in span order
  /// gets its values summed in that order, as a dense sum would.
  private func summed(_ column: FeatureColumn, rows: [Int32], values: [Double]) -> SparseColumns.Column {
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

  private func describe(_ column: FeatureColumn) -> String {
    let peer = column.peerService.isEmpty ? "" : " → \(column.peerService)"
    return "\(column.key) \(column.kind.name)\(peer)"
  }
}

/// Collects every attribute occurrence per (span key, attribute key) from the trace summaries,
/// and turns them into attribute columns.
private struct AttributeAccumulator {
  let rows: Int
  let options: FeatureOptions
  /// Attribute keys interned across summaries.
  var names = NameRegistry()
  /// The (span key, attribute key) slots, in the order first met.
  var attributeSlots: [AttributeValues] = []
  /// Every occurrence, slot after slot (`AttributeValues.occurrences`), each slot's in summary
  /// and span order. The value is an id of its batch's value strings (`batch` says which):
  /// names are looked up only for attributes that can become columns.
  var occurrences: [(row: Int32, value: Int32, batch: Int8, number: Double)] = []
  /// Attribute values per batch (fast, slow): the strings value ids name. A batch of one
  /// summary uses that summary's own string ids (no hashing of id-like values).
  var valueStrings: [[String]] = [[], []]
  var valueIDs: [[String: Int32]] = [[:], [:]]
  /// Scratch for counting an attribute's distinct values: per value id, the stamp of the
  /// attribute that last saw it.
  var valueStamp: [[Int32]] = []
  var stamp: Int32 = 0
  /// Per batch and value id, its name id (-1 until named); per name id, scratch counts.
  var valueName: [[Int32]] = []
  var frequency: [Int] = []
  /// Per row, a bit per kept value of the attribute at hand (all zero between attributes).
  var rowMask: [UInt64] = []
  /// Per span key, the traces it occurs in: a value on every one of them never varies within
  /// the key (a service's only pod), and its column would only repeat the key's presence.
  var tracesWithKey: [Int] = []

  /// The values an attribute took on one span key: its range of `occurrences`.
  struct AttributeValues {
    let key: Int32
    let name: Int32
    var occurrences: Range<Int> = 0..<0
    var allNumeric = true
    var anyDouble = false
  }

  /// Per key, in the order asked for: its attribute columns, and what was left out.
  struct Columns {
    var columns: [[SparseColumns.Column]] = []
    var dropped: [[(name: String, reason: String)]] = []
  }

  /// The attribute occurrences of `summaries`: `keyOf[s]` maps summary s's key ids to the
  /// matrix's (`keyCount` of them), `rowOf[s]` its rows. One pass gives each occurrence its
  /// slot (counted per slot), the next lays the occurrences out slot after slot.
  init(
    _ summaries: [TraceSummaries], keyOf: [[Int32]], rowOf: [[Int32]], keyCount: Int, rows: Int,
    options: FeatureOptions
  ) {
    self.rows = rows
    self.options = options
    tracesWithKey = [Int](repeating: 0, count: keyCount)
    for (summary, keys) in zip(summaries, keyOf) {
      for key in summary.cells.key { tracesWithKey[Int(keys[Int(key)])] += 1 }  // a cell per (trace, key)
    }
    let summariesPerBatch = [false, true].map { slow in summaries.filter { $0.isSlow == slow }.count }
    var slotOf = [[Int32]](repeating: [], count: keyCount)  // slotOf[span key][name id], -1 if none
    var slotCounts: [Int] = []
    var slotOfItem: [[Int32]] = []
    var valueOfItem: [[Int32]] = []  // per summary, its values as ids of its batch's strings
    for (index, summary) in summaries.enumerated() {
      let batch = summary.isSlow ? 1 : 0
      let ownStrings = summariesPerBatch[batch] == 1
      if ownStrings { valueStrings[batch] = summary.strings }
      var nameOf = [Int32](repeating: -1, count: summary.strings.count)  // summary string -> name id
      var valueOf = [Int32](repeating: -1, count: ownStrings ? 0 : summary.strings.count)
      let (attributes, keys) = (summary.attributes, keyOf[index])
      var slots = [Int32](repeating: 0, count: attributes.row.count)
      var values = attributes.value
      for item in attributes.row.indices {
        let string = Int(attributes.name[item])
        if nameOf[string] < 0 { nameOf[string] = names.id(summary.strings[string]) }
        let name = Int(nameOf[string])
        let spanKey = Int(keys[Int(attributes.key[item])])
        if slotOf[spanKey].count <= name { slotOf[spanKey] += Array(repeating: -1, count: name + 1 - slotOf[spanKey].count) }
        if slotOf[spanKey][name] < 0 {
          attributeSlots.append(AttributeValues(key: Int32(spanKey), name: Int32(name)))
          slotCounts.append(0)
          slotOf[spanKey][name] = Int32(attributeSlots.count - 1)
        }
        let slot = Int(slotOf[spanKey][name])
        slots[item] = Int32(slot)
        slotCounts[slot] += 1
        let value = values[item]
        if !ownStrings && value >= 0 {
          if valueOf[Int(value)] < 0 {
            let text = summary.strings[Int(value)]
            if let known = valueIDs[batch][text] {
              valueOf[Int(value)] = known
            } else {
              valueStrings[batch].append(text)
              valueIDs[batch][text] = Int32(valueStrings[batch].count - 1)
              valueOf[Int(value)] = Int32(valueStrings[batch].count - 1)
            }
          }
          values[item] = valueOf[Int(value)]
        }
        let type = attributes.type[item]
        if type != .int && type != .double { attributeSlots[slot].allNumeric = false }
        if type == .double { attributeSlots[slot].anyDouble = true }
      }
      slotOfItem.append(slots)
      valueOfItem.append(values)
    }
    var next: [Int] = []  // per slot, where its next occurrence goes
    var total = 0
    for slot in attributeSlots.indices {
      attributeSlots[slot].occurrences = total..<(total + slotCounts[slot])
      next.append(total)
      total += slotCounts[slot]
    }
    var occurrences = [(row: Int32, value: Int32, batch: Int8, number: Double)](repeating: (0, 0, 0, 0), count: total)
    occurrences.withUnsafeMutableBufferPointer { occurrences in
      for (index, summary) in summaries.enumerated() {
        let (attributes, rows, slots, values) = (summary.attributes, rowOf[index], slotOfItem[index], valueOfItem[index])
        let batch: Int8 = summary.isSlow ? 1 : 0
        for item in attributes.row.indices {
          let slot = Int(slots[item])
          occurrences[next[slot]] = (rows[Int(attributes.row[item])], values[item], batch, attributes.number[item])
          next[slot] += 1
        }
      }
    }
    self.occurrences = occurrences
  }

  /// The columns of `keys` taken in `order` (schema order), the keys at even positions on one core and at odd
  /// positions on the other (each with its own scratch); per key its attributes by name.
  func columns(keys: [SpanKey], order: [Int]) -> Columns {
    let attributesByKey = Dictionary(grouping: attributeSlots.indices, by: { attributeSlots[$0].key })
    @Sendable func columns(parity: Int) -> Columns {
      var worker = self
      var result = Columns()
      for key in stride(from: parity, to: order.count, by: 2).map({ order[$0] }) {
        var columns: [SparseColumns.Column] = []
        var dropped: [(name: String, reason: String)] = []
        let slots = (attributesByKey[Int32(key)] ?? []).map { attributeSlots[$0] }
        for values in slots.sorted(by: { names.name($0.name) < names.name($1.name) }) {
          let built = worker.attributeColumns(keys[key], names.name(values.name), values)
          columns += built.columns
          dropped += built.dropped
        }
        result.columns.append(columns)
        result.dropped.append(dropped)
      }
      return result
    }
    let (even, odd) = concurrently({ columns(parity: 0) }, { columns(parity: 1) })
    var result = Columns()
    for position in order.indices {
      let (part, index) = position % 2 == 0 ? (even, position / 2) : (odd, position / 2)
      result.columns.append(part.columns[index])
      result.dropped.append(part.dropped[index])
    }
    return result
  }

  /// Numeric attributes become their mean per trace; categorical ones one 0/1 column per
  /// frequent value. An attribute that, in every batch it occurs in, has more distinct values
  /// than `maxAttributeValues` that are also more than half its occurrences there looks like an
  /// id or a timestamp and is left out, before any of its values is named.
  /// Fewest traces with (and without) an attribute value for it to get a column (a tenth of
  /// the traces in very small batches).
  static let minimumSupport = 5

  private mutating func attributeColumns(
    _ key: SpanKey, _ name: String, _ values: AttributeValues
  ) -> (columns: [SparseColumns.Column], dropped: [(name: String, reason: String)]) {
    let limit = max(1, options.maxAttributeValues)
    let occurrences = self.occurrences[values.occurrences]
    // Distinct values per batch by marking each table string id with this attribute's stamp.
    if valueStamp.isEmpty { valueStamp = valueStrings.map { [Int32](repeating: -1, count: $0.count) } }
    stamp += 1
    var distinctPerBatch = [Int](repeating: 0, count: valueStrings.count)
    var occurrencesPerBatch = [Int](repeating: 0, count: valueStrings.count)
    for occurrence in occurrences {
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
    let idLike = valueStrings.indices.allSatisfy { batch in
      occurrencesPerBatch[batch] == 0
        || (distinctPerBatch[batch] > limit && distinctPerBatch[batch] * 2 > occurrencesPerBatch[batch])
    }
    if values.allNumeric {
      func moreNumbersThanLimit() -> Bool {
        var seen = Set<UInt64>()
        for occurrence in occurrences where seen.insert(occurrence.number.bitPattern).inserted {
          if seen.count > limit { return true }
        }
        return false
      }
      if values.anyDouble || moreNumbersThanLimit() {
        var sum = [Double](repeating: 0, count: rows)
        var seen = [Double](repeating: 0, count: rows)
        for occurrence in occurrences where occurrence.number.isFinite {
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
        [(label, "\(distinct) distinct values in \(occurrences.count) spans: looks like an id")]
      )
    }
    // Values named across both batches (a batch's value ids mean nothing in the other): each
    // (batch, value id) is named once for all attributes, then counted in a scratch by name id.
    if valueName.isEmpty { valueName = valueStrings.map { [Int32](repeating: -1, count: $0.count) } }
    var named = [Int32](repeating: -1, count: occurrences.count)  // -1: an unrecorded value
    var distinct: [Int32] = []
    for (index, occurrence) in occurrences.enumerated() where occurrence.value >= 0 {
      let (batch, value) = (Int(occurrence.batch), Int(occurrence.value))
      if valueName[batch][value] < 0 { valueName[batch][value] = names.id(valueStrings[batch][value]) }
      let id = valueName[batch][value]
      if Int(id) >= frequency.count { frequency += [Int](repeating: 0, count: Int(id) + 1 - frequency.count) }
      if frequency[Int(id)] == 0 { distinct.append(id) }
      frequency[Int(id)] += 1
      named[index] = id
    }
    let counted = distinct.map { (name: names.name($0), id: $0, count: frequency[Int($0)]) }
    for id in distinct { frequency[Int(id)] = 0 }
    let kept = counted.sorted { ($1.count, $0.name) < ($0.count, $1.name) }.prefix(limit).sorted { $0.name < $1.name }
    var dropped: [(name: String, reason: String)] = []
    if counted.count > limit {
      dropped.append(
        (label, "\(counted.count - limit) of \(counted.count) values beyond the \(limit) most frequent"))
    }
    // The rows of each kept value, ascending and distinct (a scratch maps name id -> kept
    // position + 1): each row's mask holds a bit per kept value, 64 values a pass, and the
    // marked rows are read in row order.
    for (position, value) in kept.enumerated() { frequency[Int(value.id)] = position + 1 }
    if rowMask.isEmpty { rowMask = [UInt64](repeating: 0, count: rows) }
    var rowsOf = [[Int32]](repeating: [], count: kept.count)
    for first in stride(from: 0, to: kept.count, by: 64) {
      var marked: [Int32] = []
      for (occurrence, id) in zip(occurrences, named) where id >= 0 {
        let bit = frequency[Int(id)] - 1 - first
        guard bit >= 0 && bit < 64 else { continue }
        let row = Int(occurrence.row)
        if rowMask[row] == 0 { marked.append(occurrence.row) }
        rowMask[row] |= 1 << UInt64(bit)
      }
      if marked.count * 16 > rows {
        marked = (0..<Int32(rows)).filter { rowMask[Int($0)] != 0 }
      } else {
        marked.sort()
      }
      for row in marked {
        var mask = rowMask[Int(row)]
        rowMask[Int(row)] = 0
        while mask != 0 {
          rowsOf[first + mask.trailingZeroBitCount].append(row)
          mask &= mask - 1
        }
      }
    }
    for value in kept { frequency[Int(value.id)] = 0 }
    // A value on a handful of traces (or on all but a handful) cannot be estimated: no column.
    let support = max(1, min(Self.minimumSupport, rows / 10))
    let columns = zip(kept, rowsOf).compactMap { value, present -> SparseColumns.Column? in
      guard present.count < tracesWithKey[Int(values.key)] else {
        dropped.append((label + "=" + value.name, "on every trace with its span key: never varies within it"))
        return nil
      }
      guard present.count >= support, self.rows - present.count >= support else {
        let reason =
          present.count == self.rows
          ? "never varies" : present.count < support ? "on too few traces to compare" : "missing from too few traces to compare"
        dropped.append((label + "=" + value.name, reason))
        return nil
      }
      return SparseColumns.Column(
        column: FeatureColumn(key: key, kind: .attribute(key: name, value: value.name)), rows: present,
        values: [Double](repeating: 1, count: present.count))
    }
    return (columns, dropped)
  }
}
