import Foundation
import Testing
import WhyslowFeatures
import WhyslowIngest

/// A hand-built trace (times in µs) where every span has its own operation:
///
///     A  0‥100                     root
///     ├─ B 10‥40   CHILD_OF A      ├─ F 15‥25  CHILD_OF B
///     │                            └─ G 20‥35  CHILD_OF B (parallel with F)
///     ├─ C 30‥60   CHILD_OF A      overlaps B
///     ├─ D 80‥120  CHILD_OF A      outlives A: clipped to 80‥100
///     └─ E 50‥200  FOLLOWS_FROM A  asynchronous: never covers A
///
/// Self-times by hand: A = 100 − |[10,60] ∪ [80,100]| = 100 − 70 = 30; B = 30 − |[15,35]| = 10;
/// C = 30; D = 40; E = 150; F = 10; G = 15. Latency = A's duration = 100 µs.
let handTrace = #"""
  {"data":[{"traceID":"t1","processes":{"p":{"serviceName":"svc"}},"spans":[
   {"traceID":"t1","spanID":"A","operationName":"A","references":[],"startTime":0,"duration":100,"processID":"p"},
   {"traceID":"t1","spanID":"B","operationName":"B","references":[{"refType":"CHILD_OF","traceID":"t1","spanID":"A"}],"startTime":10,"duration":30,"processID":"p"},
   {"traceID":"t1","spanID":"C","operationName":"C","references":[{"refType":"CHILD_OF","traceID":"t1","spanID":"A"}],"startTime":30,"duration":30,"processID":"p"},
   {"traceID":"t1","spanID":"D","operationName":"D","references":[{"refType":"CHILD_OF","traceID":"t1","spanID":"A"}],"startTime":80,"duration":40,"processID":"p"},
   {"traceID":"t1","spanID":"E","operationName":"E","references":[{"refType":"FOLLOWS_FROM","traceID":"t1","spanID":"A"}],"startTime":50,"duration":150,"processID":"p"},
   {"traceID":"t1","spanID":"F","operationName":"F","references":[{"refType":"CHILD_OF","traceID":"t1","spanID":"B"}],"startTime":15,"duration":10,"processID":"p"},
   {"traceID":"t1","spanID":"G","operationName":"G","references":[{"refType":"CHILD_OF","traceID":"t1","spanID":"B"}],"startTime":20,"duration":15,"processID":"p"}
  ]}]}
  """#

/// A checkout trace (µs) with one span of each kind of trouble:
///
///     A front GET /checkout   0‥1000  server, root
///     ├─ G front skewed     -50‥20    starts before its parent (clock skew)
///     ├─ B front call cart  100‥400   client → C cart GetCart 150‥350 server (network gap 100)
///     ├─ D front query      450‥550   client, error (the first try)
///     ├─ E front query      600‥700   client (the retry)
///     └─ F mail send        900‥1500  FOLLOWS_FROM A: asynchronous, outlives A
///
/// By hand: self A = 1000 − (20 + 300 + 100 + 100) = 480, B = 100, C = 200, query = 200,
/// G = 70, F = 600. Critical path: E, D, B (→ C), G walking back from A's end; critical times
/// A 480, B 100, C 200, query 200, G 20, F 0; they sum to 1000. Waits (from the parent's start
/// or the last sibling that ended before): B 100 − 20 = 80, D 450 − 400 = 50, E 600 − 550 = 50,
/// F 900 − 700 = 200, C 150 − 100 = 50, G 0. Depths: A 0, C 2, the rest 1.
let troubleTrace = #"""
  {"traceID":"t","processes":{"f":{"serviceName":"front"},"c":{"serviceName":"cart"},"m":{"serviceName":"mail"}},"spans":[
   {"spanID":"A","operationName":"GET /checkout","startTime":0,"duration":1000,"processID":"f","tags":[{"key":"span.kind","type":"string","value":"server"}]},
   {"spanID":"G","operationName":"skewed","references":[{"refType":"CHILD_OF","spanID":"A"}],"startTime":-50,"duration":70,"processID":"f"},
   {"spanID":"B","operationName":"call cart","references":[{"refType":"CHILD_OF","spanID":"A"}],"startTime":100,"duration":300,"processID":"f","tags":[{"key":"span.kind","type":"string","value":"client"}]},
   {"spanID":"C","operationName":"GetCart","references":[{"refType":"CHILD_OF","spanID":"B"}],"startTime":150,"duration":200,"processID":"c","tags":[{"key":"span.kind","type":"string","value":"server"}]},
   {"spanID":"D","operationName":"query","references":[{"refType":"CHILD_OF","spanID":"A"}],"startTime":450,"duration":100,"processID":"f","tags":[{"key":"span.kind","type":"string","value":"client"},{"key":"error","type":"bool","value":true}]},
   {"spanID":"E","operationName":"query","references":[{"refType":"CHILD_OF","spanID":"A"}],"startTime":600,"duration":100,"processID":"f","tags":[{"key":"span.kind","type":"string","value":"client"}]},
   {"spanID":"F","operationName":"send","references":[{"refType":"FOLLOWS_FROM","spanID":"A"}],"startTime":900,"duration":600,"processID":"m"}
  ]}
  """#

/// Every column's value in the first row, by "service operation feature[→ peer]".
func firstRow(_ matrix: FeatureMatrix) -> [String: Double] {
  let dense = matrix.columns.enumerated().map { index, column in (column, matrix.column(index).first ?? .nan) }
  let gaps = matrix.networkGaps.columns.enumerated().map { index, column in
    (column, matrix.networkGaps.value(index, row: 0))
  }
  return Dictionary(
    uniqueKeysWithValues: (dense + gaps).map { column, value in
      let peer = column.peerService.isEmpty ? "" : "→\(column.peerService)"
      return ("\(column.key) \(column.kind.name)\(peer)", value)
    })
}

let everyColumn = FeatureOptions(dropConstantColumns: false)

struct FeatureTests {
  @Test func selfTimeSubtractsTheUnionOfSynchronousChildrenClippedToTheParent() throws {
    let table = try TraceReader.read(paths: [try temporaryFile("hand.json", handTrace)])
    let matrix = FeatureMatrix(fast: table, slow: table, options: everyColumn)
    let values = firstRow(matrix)
    let expectedMicros: [String: Double] = [
      "A": 30, "B": 10, "C": 30, "D": 40, "E": 150, "F": 10, "G": 15,
    ]
    for (operation, micros) in expectedMicros {
      // Both sides are correctly rounded quotients of the same exact value: equal bit for bit.
      #expect(values["svc \(operation) self_time"] == micros / 1000, "\(operation)")
    }
    #expect(matrix.latencyMillis == [0.1, 0.1])
    #expect(matrix.isSlow == [false, true])
    #expect(matrix.entryPoints.first == SpanKey(service: "svc", operation: "A"))
  }

  @Test func everyFeatureOfTheTroubleTraceMatchesTheHandComputation() throws {
    let table = try TraceReader.read(paths: [try temporaryFile("trouble.json", troubleTrace)])
    let values = firstRow(FeatureMatrix(fast: table, slow: table, options: everyColumn))
    let expected: [String: Double] = [
      "front GET /checkout self_time": 0.48, "front GET /checkout critical_time": 0.48,
      "front call cart self_time": 0.1, "front call cart critical_time": 0.1,
      "cart GetCart self_time": 0.2, "cart GetCart critical_time": 0.2,
      "front query self_time": 0.2, "front query critical_time": 0.2,
      "front skewed self_time": 0.07, "front skewed critical_time": 0.02,
      "mail send self_time": 0.6, "mail send critical_time": 0,
      "front call cart wait": 0.08, "front query wait": 0.1, "mail send wait": 0.2,
      "cart GetCart wait": 0.05, "front skewed wait": 0, "front GET /checkout wait": 0,
      "front query count": 2, "front query error": 1, "front call cart error": 0,
      "front query start_offset": 0.45, "mail send start_offset": 0.9,
      "front skewed start_offset": -0.05, "cart GetCart start_offset": 0.15,
      "front GET /checkout depth": 0, "cart GetCart depth": 2, "mail send depth": 1,
      "front call cart network_gap→cart": 0.1,
    ]
    for (name, value) in expected {
      let actual = try #require(values[name], "\(name) missing")
      #expect(abs(actual - value) < 1e-12, "\(name): \(actual) ≠ \(value)")
    }
    // Critical times partition the latency exactly.
    let critical = values.filter { $0.key.hasSuffix(" critical_time") }.values.reduce(0, +)
    #expect(abs(critical - 1.0) < 1e-12)
    // Only the client span with a server child in another service has a network gap.
    #expect(values.keys.filter { $0.contains("network_gap") } == ["front call cart network_gap→cart"])
  }

  /// A span whose parent was never exported hangs under the shortest span that holds it, where
  /// the missing one was: its time stays on the critical path instead of becoming the self-time
  /// of the span above the missing one; the trace is counted incomplete.
  @Test func anOrphanHangsUnderTheSpanThatHoldsIt() throws {
    let trace = #"""
      {"traceID":"t","processes":{"a":{"serviceName":"api"},"d":{"serviceName":"db"}},"spans":[
       {"spanID":"r","operationName":"root","startTime":0,"duration":100,"processID":"a"},
       {"spanID":"c","operationName":"query","references":[{"refType":"CHILD_OF","spanID":"missing"}],"startTime":20,"duration":60,"processID":"d"}
      ]}
      """#
    let table = try TraceReader.read(paths: [try temporaryFile("orphan.json", trace)])
    #expect(table.quality.orphanSpans == 1 && table.quality.incompleteTraces == 1 && table.quality.reattachedOrphans == 1)
    let values = firstRow(FeatureMatrix(fast: table, slow: table, options: everyColumn))
    #expect(values["api root self_time"] == 0.04 && values["db query critical_time"] == 0.06)
  }

  @Test func networkGapOfAnOTLPClientServerPairNamesTheCallee() throws {
    let path = try temporaryFile(
      "pair.json",
      #"""
      {"resourceSpans":[
       {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[
        {"traceId":"0102","spanId":"01","name":"GET /orders","kind":2,"startTimeUnixNano":"1000000","endTimeUnixNano":"9000000"},
        {"traceId":"0102","spanId":"02","parentSpanId":"01","name":"SELECT orders","kind":3,"startTimeUnixNano":"2000000","endTimeUnixNano":"7000000"}]}]},
       {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders-db"}}]},"scopeSpans":[{"spans":[
        {"traceId":"0102","spanId":"03","parentSpanId":"02","name":"query","kind":2,"startTimeUnixNano":"3000000","endTimeUnixNano":"6000000"}]}]}]}
      """#)
    let table = try TraceReader.read(paths: [path])
    let values = firstRow(FeatureMatrix(fast: table, slow: table, options: everyColumn))
    #expect(values["api SELECT orders network_gap→orders-db"] == 2)
  }

  /// One client operation calling two callees, one instrumented (its server span below) and one
  /// named only by `peer.service`: its critical-path time splits into its calls to each, hand
  /// computed (root 0-20 ms after 1 s; GET 1-9 ms around the orders query 2-7 ms; GET 10-18 ms to payments).
  @Test func aClientOperationsTimeSplitsByCallee() throws {
    let path = try temporaryFile(
      "calls.json",
      #"""
      {"resourceSpans":[
       {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[
        {"traceId":"0102","spanId":"01","name":"handle","kind":2,"startTimeUnixNano":"1000000000","endTimeUnixNano":"1020000000"},
        {"traceId":"0102","spanId":"02","parentSpanId":"01","name":"GET","kind":3,"startTimeUnixNano":"1001000000","endTimeUnixNano":"1009000000"},
        {"traceId":"0102","spanId":"04","parentSpanId":"01","name":"GET","kind":3,"startTimeUnixNano":"1010000000","endTimeUnixNano":"1018000000",
         "attributes":[{"key":"peer.service","value":{"stringValue":"payments"}}]}]}]},
       {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}}]},"scopeSpans":[{"spans":[
        {"traceId":"0102","spanId":"03","parentSpanId":"02","name":"query","kind":2,"startTimeUnixNano":"1002000000","endTimeUnixNano":"1007000000"}]}]}]}
      """#)
    let table = try TraceReader.read(paths: [path])
    let matrix = FeatureMatrix(fast: table, slow: table, options: everyColumn)
    #expect(firstRow(matrix)["api GET critical_time"] == 11)
    let calls = Dictionary(uniqueKeysWithValues: matrix.calls.entries.map { ("\($0.column.key) → \($0.column.peerService)", $0.values) })
    #expect(calls == ["api GET → orders": [3, 3], "api GET → payments": [8, 8]])
    let gaps = Dictionary(uniqueKeysWithValues: matrix.networkGaps.entries.map { ("\($0.column.key) → \($0.column.peerService)", $0.values) })
    #expect(gaps["api GET → orders"] == [3, 3])
  }

  @Test func networkGapOfAZipkinSharedSpanIsClientMinusServerHalf() throws {
    let path = try temporaryFile(
      "shared.json",
      #"""
      [{"traceId":"aa","id":"01","name":"root","kind":"SERVER","timestamp":1000,"duration":500,"localEndpoint":{"serviceName":"front"}},
       {"traceId":"aa","id":"02","parentId":"01","name":"call","kind":"CLIENT","timestamp":1100,"duration":300,"localEndpoint":{"serviceName":"front"}},
       {"traceId":"aa","id":"02","parentId":"01","name":"handle","kind":"SERVER","timestamp":1150,"duration":200,"localEndpoint":{"serviceName":"back"},"shared":true}]
      """#)
    let table = try TraceReader.read(paths: [path])
    let values = firstRow(FeatureMatrix(fast: table, slow: table, options: everyColumn))
    #expect(values["front call network_gap→back"] == 0.1)
    #expect(values["front root critical_time"] == 0.2 && values["back handle critical_time"] == 0.2)
  }

  /// Expected critical-path times per "[service] operation" from each CRISP test case.
  static let crispCases: [(file: String, expected: [String: Double])] = {
    let folder = realDatasets.appendingPathComponent("crisp/test_cases")
    let files = (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? [])
      .filter { $0.hasSuffix(".json") }.sorted()
    return files.compactMap { file in
      guard let data = try? Data(contentsOf: folder.appendingPathComponent(file)),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
      else { return nil }
      let testing = object["testing"]
      let table =
        (testing as? [[String: Any]])?.first
        ?? ((testing as? [String: Any])?["opTimeExclusive"] as? [String: Any])
      guard let table else { return nil }
      return (file, table.compactMapValues { ($0 as? NSNumber)?.doubleValue })
    }
  }()

  @Test func crispOracleCasesAreAllPresent() {
    #expect(Self.crispCases.count == 33)
  }

  /// Where CRISP's 1% rule lets siblings overlap (clock skew), CRISP counts the overlap for
  /// both and the parent pays for it, so its critical time can go negative. whyslow cuts the
  /// earlier sibling at the later one's start instead: the overlap stays the parent's, and
  /// every value is non-negative with the same sum. Hand-computed: in 10.json the siblings
  /// [10,210], [209,309], [308,608] µs under [0,1000] give 199, 99, 300 and the parent 402
  /// (CRISP: 200, 100, 300 and 400); in 19.json and 20.json (and 21.json), [10,210], [205,305], [300,600]
  /// under [0,600] give 195, 95, 300 and the parent 10 (CRISP: 200, 100, 300 and 0).
  static let skewCut: [String: [String: Double]] = [
    "10.json": ["[S1] O1": 402, "[S2] O2": 199, "[S3] O3": 99, "[S4] O4": 300],
    "19.json": ["[S1] O1": 10, "[S2] O2": 195, "[S3] O3": 95, "[S4] O4": 300],
    "20.json": ["[S1] O1": 10, "[S2] O2": 195, "[S3] O3": 95, "[S4] O4": 300],
    "21.json": ["[S1] O1": 10, "[S2] O2": 195, "[S3] O3": 95, "[S4] O4": 300],
  ]

  @Test(arguments: crispCases.map(\.file))
  func criticalTimeMatchesCRISP(_ file: String) throws {
    let expected = try #require(Self.skewCut[file] ?? Self.crispCases.first { $0.file == file }?.expected)
    let table = try TraceReader.read(paths: [realDatasets.appendingPathComponent("crisp/test_cases/\(file)").path])
    let matrix = FeatureMatrix(fast: table, slow: table, options: everyColumn)
    var actual: [String: Double] = [:]
    for (index, column) in matrix.columns.enumerated() where column.kind == .criticalTime {
      let value = matrix.column(index).first ?? 0
      if value != 0 { actual["[\(column.key.service)] \(column.key.operation)"] = value * 1000 }
    }
    let wanted = expected.filter { $0.value != 0 }
    #expect(Set(actual.keys) == Set(wanted.keys))
    for (key, micros) in wanted {
      #expect(abs((actual[key] ?? .nan) - micros) < 1e-6, "\(key)")
    }
  }

  /// Self-time totals the Jaeger UI's TraceStatistics tests expect (rounded to 0.01 ms), for
  /// traces whose children overlap, outlive their parent or start after it ends.
  @Test(arguments: [
    ("testTraceNormal.json", "api-gateway GET /api/customer/owners/8/pets/10", 2.40),
    ("testTraceNormal.json", "customers-service HikariProxyPreparedStatement.executeQuery", 0.07),
    ("spansAmongEachOther.json", "customers-service GET /owners", 1.67),
    ("spansAmongEachOtherGrouped.json", "customers-service GET /owners", 1.63),
    ("spanAmongEachOtherGroupedAndSpans.json", "customers-service GET /owners", 1.56),
    ("spanLongerAsParent.json", "api-gateway GET /owners/8/pets/10", 1.22),
  ])
  func selfTimeMatchesTheJaegerUI(_ file: String, _ key: String, _ millis: Double) throws {
    let path = realDatasets.appendingPathComponent(
      "jaeger-ui/packages/jaeger-ui/src/components/TracePage/TraceStatistics/tableValuesTestTrace/\(file)"
    ).path
    let table = try TraceReader.read(paths: [path])
    let options = FeatureOptions(keepOperationNames: true, dropConstantColumns: false)
    let value = try #require(firstRow(FeatureMatrix(fast: table, slow: table, options: options))["\(key) self_time"])
    #expect((value * 100).rounded() / 100 == millis)
  }

  @Test func operationNamesLoseTheirIds() {
    let normalizer = OperationNormalizer()
    #expect(normalizer.normalize("GET /users/123") == "GET /users/{n}")
    #expect(normalizer.normalize("GET /users/456") == "GET /users/{n}")
    #expect(normalizer.normalize("GET /api/v1/orders/6f1c2a9e-3b7d-4c1a-9f2e-0a1b2c3d4e5f") == "GET /api/v1/orders/{uuid}")
    #expect(normalizer.normalize("SELECT * FROM t WHERE name = 'O''Brien' AND id = 42") == "SELECT * FROM t WHERE name = ? AND id = {n}")
    #expect(normalizer.normalize("notify bob.smith@example.com") == "notify {email}")
    #expect(normalizer.normalize("GET /blobs/5dc8d4f9fd0a") == "GET /blobs/{hex}")
    #expect(normalizer.normalize("HikariProxyPreparedStatement.executeQuery") == "HikariProxyPreparedStatement.executeQuery")
    #expect(normalizer.normalize("order-123") == "order-{n}")
  }

  @Test func pathKeysTellTheSameOperationCalledFromTwoPlacesApart() throws {
    let trace = #"""
      {"traceID":"t","processes":{"p":{"serviceName":"api"},"d":{"serviceName":"db"}},"spans":[
       {"spanID":"r","operationName":"root","startTime":0,"duration":100,"processID":"p"},
       {"spanID":"a","operationName":"list","references":[{"refType":"CHILD_OF","spanID":"r"}],"startTime":0,"duration":40,"processID":"p"},
       {"spanID":"b","operationName":"save","references":[{"refType":"CHILD_OF","spanID":"r"}],"startTime":50,"duration":40,"processID":"p"},
       {"spanID":"q1","operationName":"query","references":[{"refType":"CHILD_OF","spanID":"a"}],"startTime":10,"duration":10,"processID":"d"},
       {"spanID":"q2","operationName":"query","references":[{"refType":"CHILD_OF","spanID":"b"}],"startTime":60,"duration":20,"processID":"d"}
      ]}
      """#
    let table = try TraceReader.read(paths: [try temporaryFile("paths.json", trace)])
    let byOperation = firstRow(FeatureMatrix(fast: table, slow: table, options: everyColumn))
    #expect(byOperation["db query self_time"] == 0.03)
    let byPath = firstRow(
      FeatureMatrix(fast: table, slow: table, options: FeatureOptions(keyByPath: true, dropConstantColumns: false)))
    #expect(byPath["db query (via api root > api list) self_time"] == 0.01)
    #expect(byPath["db query (via api root > api save) self_time"] == 0.02)
  }

  @Test func attributesBecomeColumnsAndIdsAreLeftOut() throws {
    // Three fast and three slow traces of one span; db.instance is categorical, rows numeric,
    // request.id an id.
    func batch(_ traces: Range<Int>) throws -> SpanTable {
      let document = #"{"data":["# + traces.map { index in
        #"{"traceID":"t\#(index)","processes":{"p":{"serviceName":"db"}},"spans":[{"traceID":"t\#(index)","spanID":"s","operationName":"query","startTime":0,"duration":\#(10 + index),"processID":"p","tags":[{"key":"db.instance","type":"string","value":"replica-\#(index % 2 + 1)"},{"key":"rows","type":"float64","value":\#(Double(index) * 1.5)},{"key":"request.id","type":"string","value":"req-\#(index)abc"}]}]}"#
      }.joined(separator: ",") + "]}"
      return try TraceReader.read(paths: [try temporaryFile("attributes.json", document)])
    }
    let matrix = FeatureMatrix(
      fast: try batch(0..<3), slow: try batch(3..<6), options: FeatureOptions(maxAttributeValues: 2))
    // Attribute columns stay sparse until asked for, never in the dense columns.
    #expect(!matrix.columns.contains { if case .attribute = $0.kind { true } else { false } })
    let names = matrix.attributes.columns.map { "\($0.key) \($0.kind.name)" }
    #expect(names.contains("db query attr:db.instance=replica-1"))
    #expect(names.contains("db query attr:db.instance=replica-2"))
    #expect(names.contains("db query attr:rows"))
    #expect(!names.contains { $0.contains("request.id") })
    #expect(matrix.droppedColumns.contains { $0.name == "db query attr:request.id" && $0.reason.contains("looks like an id") })
    // A key present in every trace once has a constant count: dropped and reported.
    #expect(matrix.droppedColumns.contains { $0.name == "db query count" && $0.reason == "never varies" })
    let query = SpanKey(service: "db", operation: "query")
    let columns = matrix.attributes.columns
    let rows = try #require(columns.firstIndex { $0.key == query && $0.kind == .numericAttribute(key: "rows") })
    #expect(matrix.attributes.dense(rows) == [0, 1.5, 3, 4.5, 6, 7.5])
    let replica = try #require(columns.firstIndex { $0.key == query && $0.kind == .attribute(key: "db.instance", value: "replica-2") })
    #expect(matrix.attributes.dense(replica) == [0, 1, 0, 1, 0, 1])  // traces t0…t5: replica-(index % 2 + 1)
  }
}

struct CriticalPathInvariantTests {
  /// Siblings overlapping by less than 1% of the parent count as clock skew (CRISP); the
  /// earlier one is cut at the later one's start, so the parent never goes negative.
  @Test func skewedOverlapNeverMakesACriticalTimeNegative() throws {
    let trace = #"""
      {"data":[{"traceID":"k","processes":{"p":{"serviceName":"svc"}},"spans":[
      {"traceID":"k","spanID":"r","operationName":"parent","references":[],"startTime":0,"duration":100000,"processID":"p"},
      {"traceID":"k","spanID":"a","operationName":"first","references":[{"refType":"CHILD_OF","traceID":"k","spanID":"r"}],"startTime":0,"duration":60000,"processID":"p"},
      {"traceID":"k","spanID":"b","operationName":"second","references":[{"refType":"CHILD_OF","traceID":"k","spanID":"r"}],"startTime":59500,"duration":40500,"processID":"p"}]}]}
      """#
    let table = try TraceReader.read(paths: [try temporaryFile("skew.json", trace)])
    let matrix = FeatureMatrix(fast: table, slow: table, options: FeatureOptions(dropConstantColumns: false))
    var critical: [String: Double] = [:]
    for (index, column) in matrix.columns.enumerated() where column.kind == .criticalTime {
      critical[column.key.operation] = matrix.column(index).first
    }
    #expect(critical == ["parent": 0, "first": 59.5, "second": 40.5])
  }

  /// 20,000 overlapping siblings (each starts 10 µs after the previous and lasts 11 µs): all on
  /// the critical path, each cut to 10 µs, the parent keeping the rest; exact to the nanosecond.
  @Test func aStaircaseOfOverlappingSiblingsSumsToTheLatency() throws {
    let steps = 20_000
    var spans = [#"{"traceID":"s","spanID":"r","operationName":"parent","references":[],"startTime":0,"duration":\#(steps * 10 + 21),"processID":"p"}"#]
    for step in 0..<steps {
      spans.append(#"{"traceID":"s","spanID":"c\#(step)","operationName":"step","references":[{"refType":"CHILD_OF","traceID":"s","spanID":"r"}],"startTime":\#(step * 10),"duration":11,"processID":"p"}"#)
    }
    let document = #"{"data":[{"traceID":"s","processes":{"p":{"serviceName":"svc"}},"spans":[\#(spans.joined(separator: ","))]}]}"#
    let table = try TraceReader.read(paths: [try temporaryFile("staircase.json", document)])
    let matrix = FeatureMatrix(fast: table, slow: table, options: FeatureOptions(dropConstantColumns: false))
    var critical: [String: Double] = [:]
    for (index, column) in matrix.columns.enumerated() where column.kind == .criticalTime {
      critical[column.key.operation] = matrix.column(index).first
    }
    let step = try #require(critical["step"])
    let parent = try #require(critical["parent"])
    #expect(abs(step - Double(steps - 1) * 0.010 - 0.011) < 1e-9)
    #expect(abs(step + parent - Double(steps * 10 + 21) / 1000) < 1e-9)
  }
}

/// Trace summaries of shards of whole traces assemble into the matrix of the whole batch, in
/// any order, and survive a partial file; a damaged partial is an error, never a trap.
struct PartialTests {
  let fast: SpanTable
  let slow: SpanTable

  init() throws {
    fast = try TraceReader.read(paths: [packageRoot.appendingPathComponent("Datasets/demo/fast").path])
    slow = try TraceReader.read(paths: [packageRoot.appendingPathComponent("Datasets/demo/slow").path])
  }

  /// `table`'s traces in `count` shards, trace t in shard t % count.
  private func shards(_ table: SpanTable, _ count: Int, slow: Bool) -> [TraceSummaries] {
    (0..<count).map { shard in
      TraceSummaries(table: table.traces(where: (0..<table.traceCount).map { $0 % count == shard }), isSlow: slow)
    }
  }

  private func expectSame(_ a: FeatureMatrix, _ b: FeatureMatrix) {
    #expect(a.columns == b.columns)
    #expect(a.values == b.values)
    #expect(a.traceIDs == b.traceIDs && a.isSlow == b.isSlow && a.latencyMillis == b.latencyMillis)
    #expect(a.entryPoints == b.entryPoints && a.parentKeys == b.parentKeys)
    for (x, y) in [(a.networkGaps, b.networkGaps), (a.calls, b.calls), (a.attributes, b.attributes)] {
      #expect(x.columns == y.columns)
      #expect(x.entries.map(\.rows) == y.entries.map(\.rows) && x.entries.map(\.values) == y.entries.map(\.values))
    }
  }

  @Test func shardsAssembleInAnyOrderIntoTheWholeMatrix() throws {
    let whole = FeatureMatrix(fast: fast, slow: slow)
    let parts = shards(fast, 3, slow: false) + shards(slow, 2, slow: true)
    expectSame(try FeatureMatrix(summaries: parts), whole)
    expectSame(try FeatureMatrix(summaries: parts.reversed()), whole)
    expectSame(try FeatureMatrix(summaries: [parts[4], parts[0], parts[3], parts[2], parts[1]]), whole)
  }

  @Test func aPartialFileKeepsItsSummaries() throws {
    let whole = FeatureMatrix(fast: fast, slow: slow)
    let partial = Partial(
      options: FeatureOptions(),
      batches: [
        .init(summaries: TraceSummaries(table: fast, isSlow: false), spans: fast.spanCount, quality: fast.quality),
        .init(summaries: TraceSummaries(table: slow, isSlow: true), spans: slow.spanCount, quality: slow.quality),
      ])
    let read = try Partial(decoding: partial.encoded(), path: "demo.partial")
    #expect(read.batches.map(\.spans) == [fast.spanCount, slow.spanCount])
    #expect(read.batches.map(\.quality.asyncEdges) == [fast.quality.asyncEdges, slow.quality.asyncEdges])
    expectSame(try FeatureMatrix(summaries: read.batches.map(\.summaries)), whole)
  }

  @Test func aTraceInTwoShardsIsRefused() throws {
    let summary = TraceSummaries(table: fast, isSlow: false)
    #expect(throws: FeatureError.self) { try FeatureMatrix(summaries: [summary, summary]) }
  }

  /// Every byte of a partial set to 0xFF in turn: each decodes to an error or to summaries that
  /// assemble; nothing traps.
  @Test func aDamagedPartialNeverTraps() throws {
    let small = fast.traces(where: (0..<fast.traceCount).map { $0 < 3 })
    let bytes = Partial(
      options: FeatureOptions(),
      batches: [.init(summaries: TraceSummaries(table: small, isSlow: false), spans: small.spanCount, quality: small.quality)]
    ).encoded()
    var refused = 0
    for offset in bytes.indices {
      var damaged = bytes
      damaged[offset] = 0xFF
      guard let partial = try? Partial(decoding: damaged, path: "damaged.partial") else {
        refused += 1
        continue
      }
      _ = try? FeatureMatrix(summaries: partial.batches.map(\.summaries))
    }
    // Text and doubles take any byte; counts, ids, flags and the magic line do not.
    #expect(refused > bytes.count / 4)
  }
}
