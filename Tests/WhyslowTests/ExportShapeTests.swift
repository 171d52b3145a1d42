import Foundation
import Testing
import WhyslowEvaluation
import WhyslowFeatures
import WhyslowIngest
import WhyslowStatistics

/// One span of a Nezha span-table CSV, as the exporters below write it again.
fileprivate struct NezhaSpan {
  let traceID: String  // 32 hex digits
  let spanID: String  // 16 hex digits
  let parentID: String?  // nil for a root ("root" in the CSV); may name a span that is missing
  let service: String  // the pod name without its replica-set and pod suffixes
  let pod: String
  let operation: String
  let startNanos: Int64
  let endNanos: Int64

  /// The spans of a Nezha CSV (no quoted fields), grouped by trace in first-seen order.
  static func traces(of path: String) throws -> [[NezhaSpan]] {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
    var order: [String] = []
    var byTrace: [String: [NezhaSpan]] = [:]
    for line in lines {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      guard fields.count >= 7, let start = Int64(fields[5]), let end = Int64(fields[6]) else { continue }
      let span = NezhaSpan(
        traceID: fields[0], spanID: fields[1], parentID: fields[2] == "root" ? nil : fields[2],
        service: serviceOfPod(fields[3]), pod: fields[3], operation: fields[4], startNanos: start, endNanos: end)
      if byTrace[span.traceID] == nil { order.append(span.traceID) }
      byTrace[span.traceID, default: []].append(span)
    }
    return order.map { byTrace[$0]! }
  }

  /// `ts-basic-service-5dc8d4f9fd-llznp` -> `ts-basic-service`, as a Kubernetes exporter names it.
  private static func serviceOfPod(_ pod: String) -> String {
    let parts = pod.split(separator: "-")
    guard parts.count > 2, parts.last!.count == 5, (6...10).contains(parts[parts.count - 2].count) else { return pod }
    return parts.dropLast(2).joined(separator: "-")
  }
}

/// JSON text of a string.
private func quoted(_ text: String) -> String {
  String(decoding: try! JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed), as: UTF8.self)
}

/// Hex digits as the base64 protobuf JSON writes ids in (Tempo's replies).
private func base64(hex: String) -> String {
  var bytes: [UInt8] = []
  var at = hex.startIndex
  while at < hex.endIndex {
    let next = hex.index(at, offsetBy: 2)
    bytes.append(UInt8(hex[at..<next], radix: 16)!)
    at = next
  }
  return Data(bytes).base64EncodedString()
}

/// An OTLP resourceSpans list for one or more traces: one resource per service, as the SDKs
/// group spans; ids base64 (Tempo) or hex (the Collector's file exporter).
private func resourceSpans(_ traces: [[NezhaSpan]], base64Ids: Bool) -> String {
  let spans = traces.flatMap { $0 }
  let services = Array(Set(spans.map(\.service))).sorted()
  let id = { (hex: String) in quoted(base64Ids ? base64(hex: hex) : hex) }
  let resources = services.map { service in
    let own = spans.filter { $0.service == service }.map { span in
      let parent = span.parentID.map { #","parentSpanId":\#(id($0))"# } ?? ""
      return #"{"traceId":\#(id(span.traceID)),"spanId":\#(id(span.spanID))\#(parent),"name":\#(quoted(span.operation)),"#
        + #""kind":"SPAN_KIND_SERVER","startTimeUnixNano":"\#(span.startNanos)","endTimeUnixNano":"\#(span.endNanos)","#
        + #""status":{}}"#
    }
    return #"{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":\#(quoted(service))}}]},"#
      + #""scopeSpans":[{"scope":{"name":"test"},"spans":[\#(own.joined(separator: ","))]}]}"#
  }
  return "[" + resources.joined(separator: ",") + "]"
}

/// One trace as a Jaeger query-API trace object (microseconds, as Jaeger stores them), each
/// span tagged with its pod when `pods`.
private func jaegerTrace(_ trace: [NezhaSpan], pods: Bool = false) -> String {
  let services = Array(Set(trace.map(\.service))).sorted()
  let spans = trace.map { span in
    let process = "p\(services.firstIndex(of: span.service)! + 1)"
    let references = span.parentID.map {
      #"[{"refType":"CHILD_OF","traceID":"\#(span.traceID)","spanID":"\#($0)"}]"#
    } ?? "[]"
    return #"{"traceID":"\#(span.traceID)","spanID":"\#(span.spanID)","operationName":\#(quoted(span.operation)),"#
      + #""references":\#(references),"startTime":\#(span.startNanos / 1000),"#
      + #""duration":\#((span.endNanos - span.startNanos) / 1000),"#
      + #""tags":[\#(pods ? #"{"key":"k8s.pod.name","type":"string","value":\#(quoted(span.pod))}"# : "")],"#
      + #""processID":"\#(process)"}"#
  }
  let processes = services.enumerated().map { #""p\#($0.offset + 1)":{"serviceName":\#(quoted($0.element)),"tags":[]}"# }
  return #"{"traceID":"\#(trace[0].traceID)","spans":[\#(spans.joined(separator: ","))],"#
    + #""processes":{\#(processes.joined(separator: ","))}}"#
}

/// Date-time text as ClickHouse writes DateTime64(9): `2023-01-30 11:39:02.856873375`.
private func clickHouseTime(_ nanos: Int64) -> String {
  let formatter = DateFormatter()
  formatter.locale = Locale(identifier: "en_US_POSIX")
  formatter.timeZone = TimeZone(identifier: "UTC")
  formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
  let seconds = nanos / 1_000_000_000
  let fraction = String(nanos % 1_000_000_000)
  let padded = String(repeating: "0", count: 9 - fraction.count) + fraction
  return formatter.string(from: Date(timeIntervalSince1970: Double(seconds))) + "." + padded
}

/// The spans as `clickhouse-client --query "SELECT * FROM otel_traces FORMAT CSVWithNames"` writes
/// the OpenTelemetry Collector ClickHouse exporter's table.
private func clickHouseTable(_ traces: [[NezhaSpan]]) -> String {
  var lines = [
    #""Timestamp","TraceId","SpanId","ParentSpanId","TraceState","SpanName","SpanKind","ServiceName","#
      + #""ResourceAttributes","ScopeName","ScopeVersion","SpanAttributes","Duration","StatusCode","StatusMessage""#
  ]
  for span in traces.joined() {
    lines.append(
      #""\#(clickHouseTime(span.startNanos))","\#(span.traceID)","\#(span.spanID)","\#(span.parentID ?? "")","","#
        + #""\#(span.operation)","Server","\#(span.service)","{'service.name':'\#(span.service)'}","test","","{}","#
        + #"\#(span.endNanos - span.startNanos),"Unset","""#)
  }
  return lines.joined(separator: "\n") + "\n"
}

/// Writes `text` to `name` in a new temporary folder and compresses it with `command` (gzip,
/// zstd), which must leave `name` + its suffix; returns the folder.
private func compressedFolder(_ name: String, _ text: String, command: String) throws -> URL {
  let path = try temporaryFile(name, text)
  try shell("\(command) '\(path)'")
  return URL(fileURLWithPath: path).deletingLastPathComponent()
}

/// The spans as OTLP protobuf, as the Collector's file exporter writes them (`format: proto`):
/// each trace a request behind its length in 4 big-endian bytes, in one file of a new folder.
private func protobufFolder(_ traces: [[NezhaSpan]]) throws -> URL {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-proto-\(UUID().uuidString)")
  var writer = TraceWriter(format: .otlpProto)
  writer.tracesPerFile = traces.count
  try writer.write(
    traces.joined().map {
      SyntheticSpan(
        traceID: $0.traceID, spanID: $0.spanID, parentID: $0.parentID ?? "", service: $0.service,
        operation: $0.operation, kind: .server, startNanos: $0.startNanos, durationNanos: $0.endNanos - $0.startNanos)
    }, to: folder)
  return folder
}

/// The messages of a framed file: each behind its length in 4 big-endian bytes.
private func frames(_ data: Data) -> [Data] {
  var messages: [Data] = []
  var at = data.startIndex
  while at + 4 <= data.endIndex {
    let length = data[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
    messages.append(data[at + 4..<at + 4 + length])
    at += 4 + length
  }
  return messages
}

/// `message` behind its length in 4 big-endian bytes.
private func framed(_ message: Data) -> Data {
  Data([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: message.count >> $0) }) + message
}

/// A folder holding one file per trace, each `document(trace)`.
private func folderOfTraces(_ traces: [[NezhaSpan]], _ document: ([NezhaSpan]) -> String) throws -> URL {
  let folder = URL(fileURLWithPath: try temporaryFile("README", "")).deletingLastPathComponent()
  try FileManager.default.removeItem(at: folder.appendingPathComponent("README"))
  for trace in traces {
    try Data(document(trace).utf8).write(to: folder.appendingPathComponent("\(trace[0].traceID).json"))
  }
  return folder
}

/// The real TrainTicket case TT-2023-01-30-1151 (Datasets/nezha.json): a fault-free minute
/// against three minutes of a network delay on ts-contacts-service.
private let nezha = realDatasets.appendingPathComponent("nezha")
private let fastCSV = [nezha.appendingPathComponent("construct_data/2023-01-30/trace/11_39_trace.csv").path]
private let slowCSV = ["11_51", "11_52", "11_53"].map {
  nezha.appendingPathComponent("rca_data/2023-01-30/trace/\($0)_trace.csv").path
}

private func analysis(fast: SpanTable, slow: SpanTable) throws -> LatencyAnalysis {
  try ContributionAnalysis.analyze(FeatureMatrix(fast: fast, slow: slow))
}

/// The shapes real pipelines write, made from a real case: each reads every trace and span
/// of the CSV it came from and names the same first suspect.
struct ExportShapeTests {
  fileprivate let fast: [[NezhaSpan]]
  fileprivate let slow: [[NezhaSpan]]
  let csvFast: SpanTable
  let csvSlow: SpanTable
  let firstSuspect: SpanKey

  init() throws {
    fast = try fastCSV.flatMap(NezhaSpan.traces(of:))
    slow = try slowCSV.flatMap(NezhaSpan.traces(of:))
    csvFast = try TraceReader.read(paths: fastCSV)
    csvSlow = try TraceReader.read(paths: slowCSV)
    firstSuspect = try #require(try analysis(fast: csvFast, slow: csvSlow).suspects.first).key
    // The client call whose network gap to the delayed ts-contacts-service grew.
    #expect(firstSuspect.service == "ts-preserve-other-service" && firstSuspect.operation == "HTTP GET")
  }

  /// Reads both batches in a shape and checks them against the CSV's.
  func expectSameAnswer(fast fastPaths: [String], slow slowPaths: [String], options: ReadOptions = ReadOptions())
    throws
  {
    let fastTable = try TraceReader.read(paths: fastPaths, options: options)
    let slowTable = try TraceReader.read(paths: slowPaths, options: options)
    #expect(fastTable.traceCount == csvFast.traceCount && slowTable.traceCount == csvSlow.traceCount)
    #expect(fastTable.spanCount == csvFast.spanCount && slowTable.spanCount == csvSlow.spanCount)
    #expect(try analysis(fast: fastTable, slow: slowTable).suspects.first?.key == firstSuspect)
  }

  @Test func grafanaTempoTraceByIdRepliesInAFolder() throws {
    let v1 = { (trace: [NezhaSpan]) in #"{"batches":\#(resourceSpans([trace], base64Ids: true))}"# }
    try expectSameAnswer(fast: [try folderOfTraces(fast, v1).path], slow: [try folderOfTraces(slow, v1).path])
    let v2 = { (trace: [NezhaSpan]) in #"{"trace":{"resourceSpans":\#(resourceSpans([trace], base64Ids: true))}}"# }
    try expectSameAnswer(fast: [try folderOfTraces(fast, v2).path], slow: [try folderOfTraces(slow, v2).path])
    // Named by hand, the v1 shape is still OTLP.
    var otlp = ReadOptions()
    otlp.format = .otlp
    try expectSameAnswer(fast: [try folderOfTraces(fast, v1).path], slow: [try folderOfTraces(slow, v1).path], options: otlp)
  }

  /// The Collector's file exporter with zstd compression: OTLP JSON Lines, 20 traces a line,
  /// found in a folder as *.jsonl.zst and read as it is decompressed.
  @Test func zstdCompressedCollectorFilesInAFolder() throws {
    func lines(_ traces: [[NezhaSpan]]) -> String {
      stride(from: 0, to: traces.count, by: 20).map {
        #"{"resourceSpans":\#(resourceSpans(Array(traces[$0..<min($0 + 20, traces.count)]), base64Ids: false))}"#
      }.joined(separator: "\n") + "\n"
    }
    let fastFolder = try compressedFolder("fast.jsonl", lines(fast), command: "zstd -q --rm")
    let slowFolder = try compressedFolder("slow.jsonl", lines(slow), command: "zstd -q --rm")
    #expect(FileManager.default.fileExists(atPath: fastFolder.appendingPathComponent("fast.jsonl.zst").path))
    try expectSameAnswer(fast: [fastFolder.path], slow: [slowFolder.path])
  }

  /// A file the Collector is still appending to: its last line is cut mid-write. The rest is
  /// read, and the cut line skipped with a note naming the file and the line.
  @Test func aFileStillBeingWrittenIsReadUpToItsCutLastLine() throws {
    let whole = fast.map { jaegerTrace($0) }.joined(separator: "\n") + "\n"
    let cut = String(jaegerTrace(slow[0]).prefix(700))
    let path = try temporaryFile("fast.jsonl", whole + cut)
    let slowPath = try temporaryFile("slow.jsonl", slow.map { jaegerTrace($0) }.joined(separator: "\n"))
    try expectSameAnswer(fast: [path], slow: [slowPath])
    let table = try TraceReader.read(paths: [path])
    #expect(table.quality.skippedRecords == 1)
    #expect(table.quality.notes.contains("\(path):\(fast.count + 1):1: the last line is cut short (still being written?): skipped"))
    // Compressed, the same, named in the decompressed data.
    let folder = try compressedFolder("fast.jsonl", whole + cut, command: "gzip")
    let compressed = try TraceReader.read(paths: [folder.path])
    #expect(compressed.traceCount == csvFast.traceCount)
    #expect(compressed.quality.notes.contains { $0.hasSuffix(".jsonl.gz:\(fast.count + 1):1 of the decompressed data: the last line is cut short (still being written?): skipped") })
  }

  /// OTLP protobuf in each shape it is written in: the file exporter's `format: proto`, that
  /// file zstd-compressed as a whole (the exporter's native compression) and message by message
  /// (its legacy compression, JSON messages too), Tempo's protobuf replies (one message a file),
  /// and a file still being written (its last message cut short).
  @Test func otlpProtobufInEveryShapeTheExportersWrite() throws {
    let fastFolder = try protobufFolder(fast)
    let slowFolder = try protobufFolder(slow)
    try expectSameAnswer(fast: [fastFolder.path], slow: [slowFolder.path])
    let fastFile = fastFolder.appendingPathComponent("traces-001.binpb")
    let fastData = try Data(contentsOf: fastFile)
    #expect(try TraceReader.read(paths: [fastFile.path]).quality.files.map(\.format) == [.otlpProto])

    // Tempo: each trace one message, without a frame.
    let tempo = try [fast, slow].map { traces in
      let folder = try protobufFolder(traces)
      let messages = frames(try Data(contentsOf: folder.appendingPathComponent("traces-001.binpb")))
      for (index, message) in messages.enumerated() {
        try message.write(to: folder.appendingPathComponent("trace-\(index).pb"))
      }
      try FileManager.default.removeItem(at: folder.appendingPathComponent("traces-001.binpb"))
      return folder.path
    }
    try expectSameAnswer(fast: [tempo[0]], slow: [tempo[1]])

    // Legacy compression: each message zstd-compressed behind its length, protobuf or JSON.
    let messages = frames(fastData)
    let parts = fastFolder.appendingPathComponent("parts")
    try FileManager.default.createDirectory(at: parts, withIntermediateDirectories: true)
    for (index, message) in messages.enumerated() { try message.write(to: parts.appendingPathComponent("\(index)")) }
    try shell("for f in '\(parts.path)'/*; do zstd -q --rm \"$f\"; done")
    let compressed = try (0..<messages.count).map { try Data(contentsOf: parts.appendingPathComponent("\($0).zst")) }
    let legacy = try temporaryFile("legacy.binpb", "")
    try compressed.map(framed).reduce(Data(), +).write(to: URL(fileURLWithPath: legacy))
    let read = try TraceReader.read(paths: [legacy])
    #expect(read.traceCount == csvFast.traceCount && read.spanCount == csvFast.spanCount)

    // Native compression: the whole file one zstd stream.
    try shell("zstd -q --rm '\(fastFile.path)'")
    try expectSameAnswer(fast: [fastFolder.path], slow: [slowFolder.path])

    // Still being written: the last message cut short is skipped, named by its byte.
    let cutAt = fastData.count - messages.last!.count - 4
    let cut = try temporaryFile("cut.binpb", "")
    try fastData.prefix(fastData.count - 10).write(to: URL(fileURLWithPath: cut))
    let partial = try TraceReader.read(paths: [cut])
    #expect(partial.traceCount == csvFast.traceCount - 1)
    #expect(partial.quality.notes.contains("\(cut):byte \(cutAt): the last message is cut short (still being written?): skipped"))
  }

  /// Protobuf that is not OTLP is an error naming the message, not a crash or a silent skip.
  @Test func protobufThatIsNotOTLPIsRefused() throws {
    let path = try temporaryFile("bad.binpb", "")
    try framed(Data([0x0A, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])).write(to: URL(fileURLWithPath: path))
    #expect(throws: IngestError.malformed(
      path: path, place: "byte 0",
      message: "not an OTLP protobuf message (TracesData, ExportTraceServiceRequest or a Tempo trace) of 7 bytes")) {
      try TraceReader.read(paths: [path])
    }
  }

  /// Every span tagged with its pod, and each service has one pod: a pod is then constant on
  /// every span key, so no pod is listed as a cause (it would send the on-call engineer to a
  /// pod that merely runs the slow code); the answer is the CSV's.
  @Test func anAttributeConstantOnItsSpanKeyIsNeverACause() throws {
    let fastPath = try temporaryFile("fast.jsonl", fast.map { jaegerTrace($0, pods: true) }.joined(separator: "\n"))
    let slowPath = try temporaryFile("slow.jsonl", slow.map { jaegerTrace($0, pods: true) }.joined(separator: "\n"))
    let matrix = FeatureMatrix(
      fast: try TraceReader.read(paths: [fastPath]), slow: try TraceReader.read(paths: [slowPath]))
    let analysis = try ContributionAnalysis.analyze(matrix)
    #expect(analysis.suspects.first?.key == firstSuspect)
    #expect(!analysis.attributeBreakdown.contains { $0.attribute == "k8s.pod.name" })
    #expect(!matrix.attributes.columns.contains { $0.kind.name.hasPrefix("attr:k8s.pod.name") })
    #expect(matrix.droppedColumns.contains {
      $0.name.contains("attr:k8s.pod.name=ts-contacts-service-") && $0.reason == "on every trace with its span key: never varies within it"
    })
  }

  @Test func clickHouseExporterTables() throws {
    let fastPath = try temporaryFile("fast.csv", clickHouseTable(fast))
    let slowPath = try temporaryFile("slow.csv", clickHouseTable(slow))
    try expectSameAnswer(fast: [fastPath], slow: [slowPath])
    let table = try TraceReader.read(paths: [fastPath])
    #expect(table.quality.notes.contains(#"start times: column "Timestamp" read as date-times (UTC unless they give an offset)"#))
    #expect(table.quality.notes.contains(#"durations: column "Duration" read as nanoseconds (the OpenTelemetry ClickHouse exporter's unit)"#))
    // gzip-compressed, read as it is decompressed.
    let fastFolder = try compressedFolder("fast.csv", clickHouseTable(fast), command: "gzip")
    let slowFolder = try compressedFolder("slow.csv", clickHouseTable(slow), command: "gzip")
    try expectSameAnswer(fast: [fastFolder.path], slow: [slowFolder.path])
  }
}

/// Span tables whose times are text, or whose units the header does not say.
struct SpanTableTimeTests {
  @Test func dateTimesAreReadExactlyInEverySpelling() throws {
    let header = "trace_id,span_id,parent_id,service,name,start,end\n"
    let rows = [
      "t1,a,,api,GET /x,2024-01-01 00:00:00.000000000,2024-01-01 00:00:00.250000001\n",
      "t2,b,,api,GET /x,2024-01-01T00:00:01Z,2024-01-01T00:00:01.5Z\n",
      "t3,c,,api,GET /x,2024-01-01T02:00:02.000001+02:00,2024-01-01T00:00:02.000002Z\n",
    ]
    let table = try TraceReader.read(paths: [try temporaryFile("t.csv", header + rows.joined())])
    #expect(table.startNanos == [1_704_067_200_000_000_000, 1_704_067_201_000_000_000, 1_704_067_202_000_001_000])
    #expect(table.durationNanos == [250_000_001, 500_000_000, 1_000])
  }

  @Test func aDurationBesideDateTimesNeedsItsUnit() throws {
    let text = "trace_id,span_id,service,name,start,took\nt1,a,api,GET /x,2024-01-01 00:00:00,250\n"
    let path = try temporaryFile("t.csv", text)
    var options = ReadOptions()
    options.csvColumns = "duration=took"
    #expect(throws: IngestError.malformed(
      path: path, place: "1:1",
      message: #"span-table CSV: the start times are date-times and the duration column "took" names no unit; "#
        + "give it with --columns duration=took:ns (or :us, :ms, :s)")) {
      try TraceReader.read(paths: [path], options: options)
    }
    options.csvColumns = "duration=took:ms"
    #expect(try TraceReader.read(paths: [path], options: options).durationNanos == [250_000_000])
  }

  @Test func aTableNoneOfWhoseSpansCanBeReadIsRefused() throws {
    let path = try temporaryFile("t.csv", "trace_id,span_id,service,name,start,duration_ns\nt1,a,api,GET /x,yesterday,250\n")
    #expect(throws: IngestError.malformed(
      path: path, place: nil,
      message: #"span-table CSV: none of its 1 records could be read (the first, line 2: start time "yesterday" is not a number)"#)) {
      try TraceReader.read(paths: [path])
    }
  }
}

/// A folder with files whyslow cannot read: refused at the first by default, skipped and named
/// with --skip-unreadable.
struct UnreadableFileTests {
  @Test func theJaegerFixtureFolderIsReadPastItsDomainModelFiles() throws {
    let folder = realDatasets.appendingPathComponent("jaeger").path
    #expect(throws: IngestError.self) { try TraceReader.read(paths: [folder]) }
    var options = ReadOptions()
    options.skipUnreadable = true
    let table = try TraceReader.read(paths: [folder], options: options)
    let files = try TraceReader.traceFiles(under: folder)
    let note = try #require(table.quality.notes.first { $0.contains("--skip-unreadable") })
    let skipped = files.count - table.quality.files.count
    #expect(skipped > 0 && table.quality.files.count > 0)
    #expect(note.hasPrefix("\(skipped) of \(files.count) files unreadable, skipped (--skip-unreadable): "))
    for file in files where !table.quality.files.contains(where: { $0.path == file }) {
      #expect(note.contains(file + ":"), "\(file) is not named")
    }
    // A file named on the command line is never skipped.
    let unreadable = try #require(files.first { file in !table.quality.files.contains { $0.path == file } })
    #expect(throws: IngestError.self) { try TraceReader.read(paths: [unreadable], options: options) }
  }
}
