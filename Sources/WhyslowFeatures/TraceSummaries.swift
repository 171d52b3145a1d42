import WhyslowIngest

/// What the feature matrix needs of each whole trace of one batch, or of one shard of a batch:
/// per span key the summed timings and counts, its calls to each callee, the attribute
/// occurrences, and the trace's entry-point candidates. Each trace's summary depends on its own
/// spans only, so summaries of shards of whole traces, built anywhere, assemble
/// (`FeatureMatrix(summaries:options:)`) into the matrix one table of all their traces gives.
public struct TraceSummaries: Sendable {
  /// Whether the traces are the slow batch's.
  public let isSlow: Bool
  /// The span keys that key ids below name.
  let keys: [SpanKey]
  /// The strings that string ids below name (callee services, attribute keys and values).
  let strings: [String]

  /// Per trace (a row), ascending by trace id: its id, latency and entry-point candidates.
  let traceIDs: [String]
  let latencyMillis: [Double]
  /// The root span's (service, operation) key; the root's route attribute as a key; the first
  /// server span below the root (see `EndpointRule`).
  let rootKeys: [SpanKey]
  let routeKeys: [SpanKey?]
  let serverKeys: [SpanKey?]

  /// Per (trace, span key) present: sums over the key's spans in the trace (ms), and the start
  /// offset and depth of its first span.
  let cells: Cells
  /// Per (trace, client key, callee string): the summed network gap and critical-path time of
  /// the key's calls to that callee, ms.
  let calls: Calls
  /// Every attribute occurrence on a span (events and ignored keys left out).
  let attributes: Occurrences
  /// How often each (key, synchronous parent key) pair occurs.
  let parentPairs: [(key: Int32, parent: Int32, count: Int)]

  struct Cells: Sendable {
    var row: [Int32] = []
    var key: [Int32] = []
    var selfMillis: [Double] = []
    var criticalMillis: [Double] = []
    var count: [Double] = []
    var waitMillis: [Double] = []
    var errors: [Double] = []
    var startOffsetMillis: [Double] = []
    var depth: [Double] = []
  }

  struct Calls: Sendable {
    var row: [Int32] = []
    var key: [Int32] = []
    var callee: [Int32] = []
    var gapMillis: [Double] = []
    var criticalMillis: [Double] = []
  }

  struct Occurrences: Sendable {
    var row: [Int32] = []
    var key: [Int32] = []
    var name: [Int32] = []
    /// The value's string id; -1 when the reader counted it without recording it.
    var value: [Int32] = []
    var number: [Double] = []
    var type: [AttributeType] = []
  }

  /// Number of traces.
  public var traceCount: Int { traceIDs.count }

  /// Summarizes every trace of `table`.
  public init(table: SpanTable, isSlow: Bool, options: FeatureOptions = FeatureOptions()) {
    var registry = KeyRegistry(options: options)
    let batch = BatchSpans(table: table, keys: &registry)
    self.isSlow = isSlow
    strings = table.strings
    traceIDs = batch.traceOfRow.map { table.traceID($0) }
    latencyMillis = batch.traceOfRow.map { millis(table.durationNanos[batch.roots[$0]]) }
    rootKeys = batch.traceOfRow.map { batch.baseKey(of: batch.roots[$0], registry) }
    routeKeys = batch.inRowOrder(batch.rootRoutes(registry))
    serverKeys = batch.inRowOrder(batch.firstServerBelowRoot(registry))
    (cells, calls) = Self.timings(batch, keyCount: registry.keys.count)
    attributes = Self.occurrences(batch)
    parentPairs = Self.parentPairs(batch)
    keys = registry.keys
  }

  /// Summaries from their parts (a partial file's).
  init(
    isSlow: Bool, keys: [SpanKey], strings: [String], traceIDs: [String], latencyMillis: [Double],
    rootKeys: [SpanKey], routeKeys: [SpanKey?], serverKeys: [SpanKey?], cells: Cells, calls: Calls,
    attributes: Occurrences, parentPairs: [(key: Int32, parent: Int32, count: Int)]
  ) {
    self.isSlow = isSlow
    self.keys = keys
    self.strings = strings
    self.traceIDs = traceIDs
    self.latencyMillis = latencyMillis
    self.rootKeys = rootKeys
    self.routeKeys = routeKeys
    self.serverKeys = serverKeys
    self.cells = cells
    self.calls = calls
    self.attributes = attributes
    self.parentPairs = parentPairs
  }

  /// Sums each trace's span metrics per key, and its calls per (key, callee): a client span's
  /// callee is the service of the server span it called (`wsl_compute_span_metrics`), else its
  /// `peer.service`, `server.address` or `net.peer.name` (a callee nobody instrumented).
  private static func timings(_ batch: BatchSpans, keyCount: Int) -> (Cells, Calls) {
    let table = batch.table
    let peers = peerNames(table)
    var cells = Cells()
    var calls = Calls()
    var cellOfKey = [Int32](repeating: -1, count: keyCount)  // in the current trace
    var touched: [Int32] = []
    var callOfPair: [Int64: Int] = [:]  // (key, callee) -> call entry, in the current trace
    var currentTrace: Int32 = -1
    var local = [Int32](repeating: -1, count: table.spanCount)
    for chunk in SpanMetrics.chunks(table) {
      let metrics = SpanMetrics(table, rows: chunk, roots: batch.roots, local: &local)
      for (position, tableRow) in metrics.rows.enumerated() {
        let span = Int(tableRow)
        let trace = table.traceIndex[span]
        if trace != currentTrace {  // spans come grouped by trace
          for key in touched { cellOfKey[Int(key)] = -1 }
          touched.removeAll(keepingCapacity: true)
          callOfPair.removeAll(keepingCapacity: true)
          currentTrace = trace
        }
        let row = batch.rowOfTrace[Int(trace)]
        let key = batch.key[span]
        var cell = Int(cellOfKey[Int(key)])
        if cell < 0 {
          cell = cells.row.count
          cellOfKey[Int(key)] = Int32(cell)
          touched.append(key)
          cells.row.append(row)
          cells.key.append(key)
          cells.selfMillis.append(0)
          cells.criticalMillis.append(0)
          cells.count.append(0)
          cells.waitMillis.append(0)
          cells.errors.append(0)
          cells.startOffsetMillis.append(.nan)
          cells.depth.append(0)
        }
        // Sums in whole nanoseconds (exact in a Double below 2⁵³ ns, 104 days), made
        // milliseconds at the end: the same bits in whatever order a trace's spans come.
        cells.selfMillis[cell] += Double(metrics.selfNanos[position])
        cells.criticalMillis[cell] += Double(metrics.criticalNanos[position])
        cells.count[cell] += 1
        cells.waitMillis[cell] += Double(metrics.waitNanos[position])
        if table.isError[span] { cells.errors[cell] += 1 }
        let offset = millis(metrics.startOffsetNanos[position])
        let depth = Double(metrics.depth[position])
        // The key's first span, the shallowest of those starting first (NaN compares false).
        if !(cells.startOffsetMillis[cell] < offset || (cells.startOffsetMillis[cell] == offset && cells.depth[cell] <= depth)) {
          cells.startOffsetMillis[cell] = offset
          cells.depth[cell] = depth
        }
        let callee = Int(metrics.calleeRow[position])
        let calleeName = callee >= 0 ? table.service[Int(metrics.rows[callee])] : peers[span]
        guard calleeName >= 0 else { continue }
        let pair = Int64(key) << 32 | Int64(calleeName)
        let entry = callOfPair[pair] ?? {
          calls.row.append(row)
          calls.key.append(key)
          calls.callee.append(calleeName)
          calls.gapMillis.append(0)
          calls.criticalMillis.append(0)
          callOfPair[pair] = calls.row.count - 1
          return calls.row.count - 1
        }()
        calls.gapMillis[entry] += Double(metrics.networkGapNanos[position])
        calls.criticalMillis[entry] += Double(metrics.criticalNanos[position])
      }
    }
    for sums in [\Cells.selfMillis, \Cells.criticalMillis, \Cells.waitMillis] as [WritableKeyPath<Cells, [Double]>] {
      cells[keyPath: sums] = cells[keyPath: sums].map { $0 / 1_000_000 }
    }
    calls.gapMillis = calls.gapMillis.map { $0 / 1_000_000 }
    calls.criticalMillis = calls.criticalMillis.map { $0 / 1_000_000 }
    return (cells, calls)
  }

  /// Each client span's named peer (the string id of its first `peer.service`, `server.address`
  /// or `net.peer.name`, in that order of preference); -1 for other spans and a peer that is
  /// the span's own service.
  private static func peerNames(_ table: SpanTable) -> [Int32] {
    var peers = [Int32](repeating: -1, count: table.spanCount)
    let preference = ["peer.service", "server.address", "net.peer.name"]
    var rankOfKey: [Int32: Int] = [:]
    for (id, string) in table.strings.enumerated() {
      if let rank = preference.firstIndex(of: string) { rankOfKey[Int32(id)] = rank }
    }
    guard !rankOfKey.isEmpty else { return peers }
    var rankOfSpan = [Int](repeating: preference.count, count: table.spanCount)
    let attributes = table.attributes
    for item in 0..<attributes.count where attributes.text[item] >= 0 {
      guard let rank = rankOfKey[attributes.key[item]] else { continue }
      let span = Int(attributes.span[item])
      guard table.spanKind[span] == .client, rank < rankOfSpan[span],
        attributes.text[item] != table.service[span]  // strings are interned
      else { continue }
      peers[span] = attributes.text[item]
      rankOfSpan[span] = rank
    }
    return peers
  }

  /// Every attribute occurrence with its trace row and span key, events and ignored keys left out.
  private static func occurrences(_ batch: BatchSpans) -> Occurrences {
    let table = batch.table
    let attributes = table.attributes
    var ignored = [Int8](repeating: -1, count: table.strings.count)  // per key string: unknown, no, yes
    var result = Occurrences()
    result.row.reserveCapacity(attributes.count)
    result.key.reserveCapacity(attributes.count)
    result.name.reserveCapacity(attributes.count)
    result.value.reserveCapacity(attributes.count)
    result.number.reserveCapacity(attributes.count)
    result.type.reserveCapacity(attributes.count)
    let (rowOfTrace, traceIndex, key) = (batch.rowOfTrace, table.traceIndex, batch.key)
    for item in 0..<attributes.count where attributes.type[item] != .event {
      let name = Int(attributes.key[item])
      if ignored[name] < 0 { ignored[name] = NameRegistry.ignoredKeys.contains(table.strings[name]) ? 1 : 0 }
      guard ignored[name] == 0 else { continue }
      let span = Int(attributes.span[item])
      result.row.append(rowOfTrace[Int(traceIndex[span])])
      result.key.append(key[span])
      result.name.append(attributes.key[item])
      result.value.append(attributes.text[item])
      result.number.append(attributes.number[item])
      result.type.append(attributes.type[item])
    }
    return result
  }

  /// Counts of (key, parent key) over synchronous parent links, by key then parent.
  private static func parentPairs(_ batch: BatchSpans) -> [(key: Int32, parent: Int32, count: Int)] {
    let table = batch.table
    var pairs: [Int64: Int] = [:]
    for span in 0..<table.spanCount where table.parentIndex[span] >= 0 && table.edgeKind[span] != .followsFrom {
      pairs[Int64(batch.key[span]) << 32 | Int64(batch.key[Int(table.parentIndex[span])]), default: 0] += 1
    }
    return pairs.keys.sorted().map { (Int32($0 >> 32), Int32(truncatingIfNeeded: $0), pairs[$0] ?? 0) }
  }
}

func millis(_ nanos: Int64) -> Double { Double(nanos) / 1_000_000 }
