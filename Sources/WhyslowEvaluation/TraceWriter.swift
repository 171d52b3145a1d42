import Foundation
import WhyslowIngest

/// Writes generated spans in any of the exporters' formats whyslow reads, as real exporters shape them:
/// Jaeger query-API JSON, OTLP JSON Lines and OTLP protobuf (the Collector's file exporter, `format:
/// json` and `format: proto`), Zipkin v2 JSON and a span-table CSV. Files hold at most
/// `tracesPerFile` traces; output is deterministic.
public struct TraceWriter {
  public var format: TraceFormat
  public var tracesPerFile = 500

  public init(format: TraceFormat) { self.format = format }

  /// Writes `spans` (grouped by trace, traces in order) into `folder`, which is created.
  public func write(_ spans: [SyntheticSpan], to folder: URL) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var traces: [[SyntheticSpan]] = []
    for span in spans {
      if traces.last?.first?.traceID == span.traceID {
        traces[traces.count - 1].append(span)
      } else {
        traces.append([span])
      }
    }
    for (part, start) in stride(from: 0, to: traces.count, by: tracesPerFile).enumerated() {
      let chunk = Array(traces[start..<min(start + tracesPerFile, traces.count)])
      let name = String(format: "traces-%03d.%@", part + 1, fileExtension)
      try render(chunk).write(to: folder.appendingPathComponent(name))
    }
  }

  private var fileExtension: String {
    switch format {
    case .jaeger, .zipkin: return "json"
    case .otlp: return "jsonl"
    case .otlpProto: return "binpb"
    case .csv: return "csv"
    case .spanRecords: return "spans"
    }
  }

  private func render(_ traces: [[SyntheticSpan]]) -> Data {
    switch format {
    case .otlpProto: return Data(traces.flatMap(otlpFrame))
    default: return Data(renderText(traces).utf8)
    }
  }

  private func renderText(_ traces: [[SyntheticSpan]]) -> String {
    switch format {
    case .spanRecords: preconditionFailure("span records are written from span tables (whyslow spans), not generated")
    case .otlpProto: preconditionFailure("OTLP protobuf is binary")
    case .jaeger: return jaeger(traces)
    case .otlp: return traces.map(otlpLine).joined()
    case .zipkin: return "[" + traces.joined().map(zipkinSpan).joined(separator: ",\n") + "]\n"
    case .csv:
      return "TraceID,SpanID,ParentID,ServiceName,OperationName,StartTimeUnixNano,EndTimeUnixNano,StatusCode,SpanKind\n"
        + traces.joined().map { span in
          [
            span.traceID, span.spanID, span.parentID, span.service, csvField(span.operation),
            String(span.startNanos), String(span.startNanos + span.durationNanos),
            span.isError ? "ERROR" : "OK", span.kind.rawValue,
          ].joined(separator: ",")
        }.joined(separator: "\n") + "\n"
    }
  }

  private func jaeger(_ traces: [[SyntheticSpan]]) -> String {
    let rendered = traces.map { spans -> String in
      let services = Array(Set(spans.map(\.service))).sorted()
      let process = Dictionary(uniqueKeysWithValues: services.enumerated().map { ($1, "p\($0 + 1)") })
      let spanTexts = spans.map { span -> String in
        let references =
          span.parentID.isEmpty
          ? "[]"
          : "[{\"refType\":\"\(span.isAsync ? "FOLLOWS_FROM" : "CHILD_OF")\",\"traceID\":\"\(span.traceID)\",\"spanID\":\"\(span.parentID)\"}]"
        var tags = [#"{"key":"span.kind","type":"string","value":"\#(span.kind.rawValue)"}"#]
        if span.isError { tags.append(#"{"key":"error","type":"bool","value":true}"#) }
        tags += span.attributes.sorted { $0.key < $1.key }.map {
          #"{"key":\#(json($0.key)),"type":"string","value":\#(json($0.value))}"#
        }
        return
          #"{"traceID":"\#(span.traceID)","spanID":"\#(span.spanID)","operationName":\#(json(span.operation)),"references":\#(references),"startTime":\#(span.startNanos / 1000),"duration":\#(span.durationNanos / 1000),"tags":[\#(tags.joined(separator: ","))],"logs":[],"processID":"\#(process[span.service] ?? "p1")","warnings":null}"#
      }
      let processes = services.map { #""\#(process[$0] ?? "p1")":{"serviceName":\#(json($0)),"tags":[]}"# }
      return #"{"traceID":"\#(spans[0].traceID)","spans":[\#(spanTexts.joined(separator: ",\n"))],"processes":{\#(processes.joined(separator: ","))},"warnings":null}"#
    }
    return #"{"data":["# + rendered.joined(separator: ",\n") + #"],"total":0,"limit":0,"offset":0,"errors":null}"# + "\n"
  }

  /// One OTLP request per trace, one resource per service.
  private func otlpLine(_ spans: [SyntheticSpan]) -> String {
    let byService = Dictionary(grouping: spans, by: \.service)
    let resources = byService.keys.sorted().map { service -> String in
      let rendered = (byService[service] ?? []).map { span -> String in
        let kind = otlpKind(span.kind)
        let attributes = span.attributes.sorted { $0.key < $1.key }.map {
          #"{"key":\#(json($0.key)),"value":{"stringValue":\#(json($0.value))}}"#
        }
        let parent = span.parentID.isEmpty ? "" : #""parentSpanId":"\#(span.parentID)","#
        return
          #"{"traceId":"\#(span.traceID)","spanId":"\#(span.spanID)",\#(parent)"name":\#(json(span.operation)),"kind":\#(kind),"startTimeUnixNano":"\#(span.startNanos)","endTimeUnixNano":"\#(span.startNanos + span.durationNanos)","attributes":[\#(attributes.joined(separator: ","))],"status":{"code":\#(span.isError ? 2 : 0)}}"#
      }
      return #"{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":\#(json(service))}}]},"scopeSpans":[{"scope":{"name":"whyslow-generate"},"spans":[\#(rendered.joined(separator: ","))]}]}"#
    }
    return #"{"resourceSpans":[\#(resources.joined(separator: ","))]}"# + "\n"
  }

  /// One OTLP request per trace as the file exporter writes it with `format: proto`: its length
  /// in 4 big-endian bytes, then the protobuf message (field numbers of opentelemetry-proto's
  /// trace.proto; one resource per service).
  private func otlpFrame(_ spans: [SyntheticSpan]) -> [UInt8] {
    var request = ProtobufMessage()
    let byService = Dictionary(grouping: spans, by: \.service)
    for service in byService.keys.sorted() {
      request.message(1) { resourceSpans in  // TracesData.resource_spans
        resourceSpans.message(1) { resource in  // ResourceSpans.resource
          resource.message(1) { $0.keyValue("service.name", service) }  // Resource.attributes
        }
        resourceSpans.message(2) { scopeSpans in  // ResourceSpans.scope_spans
          scopeSpans.message(1) { $0.string(1, "whyslow-generate") }  // InstrumentationScope.name
          for span in byService[service] ?? [] {
            scopeSpans.message(2) { message in  // ScopeSpans.spans
              message.bytes(1, protobufID(span.traceID))
              message.bytes(2, protobufID(span.spanID))
              if !span.parentID.isEmpty { message.bytes(4, protobufID(span.parentID)) }
              message.string(5, span.operation)
              message.varint(6, UInt64(otlpKind(span.kind)))
              message.fixed64(7, UInt64(span.startNanos))
              message.fixed64(8, UInt64(span.startNanos + span.durationNanos))
              for (key, value) in span.attributes.sorted(by: { $0.key < $1.key }) {
                message.message(9) { $0.keyValue(key, value) }
              }
              message.message(15) { $0.varint(3, span.isError ? 2 : 0) }  // Status.code
            }
          }
        }
      }
    }
    let length = UInt32(request.bytes.count)
    return [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) } + request.bytes
  }

  /// Id bytes from hex digits (the generator's ids); other text as its UTF-8 bytes.
  private func protobufID(_ id: String) -> [UInt8] {
    let digits = Array(id.utf8)
    guard digits.count % 2 == 0 else { return digits }
    var bytes: [UInt8] = []
    for start in stride(from: 0, to: digits.count, by: 2) {
      guard let byte = UInt8(String(decoding: digits[start...start + 1], as: UTF8.self), radix: 16) else { return digits }
      bytes.append(byte)
    }
    return bytes
  }

  private func zipkinSpan(_ span: SyntheticSpan) -> String {
    var tags = span.attributes
    if span.isError { tags["error"] = "true" }
    let tagText = tags.sorted { $0.key < $1.key }.map { "\(json($0.key)):\(json($0.value))" }
    let parent = span.parentID.isEmpty ? "" : #""parentId":"\#(span.parentID)","#
    let kind = span.kind == .internal ? "" : #""kind":"\#(span.kind.rawValue.uppercased())","#
    return
      #"{"traceId":"\#(span.traceID)","id":"\#(span.spanID)",\#(parent)\#(kind)"name":\#(json(span.operation)),"timestamp":\#(span.startNanos / 1000),"duration":\#(max(1, span.durationNanos / 1000)),"localEndpoint":{"serviceName":\#(json(span.service))},"tags":{\#(tagText.joined(separator: ","))}}"#
  }

  /// OTLP's number of a span kind.
  private func otlpKind(_ kind: SyntheticKind) -> Int {
    switch kind {
    case .internal: return 1
    case .server: return 2
    case .client: return 3
    case .producer: return 4
    case .consumer: return 5
    }
  }

  private func json(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      default:
        if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
      }
    }
    return out + "\""
  }

  private func csvField(_ text: String) -> String {
    text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
  }
}

/// A protocol buffers message in the making: fields appended in wire format.
struct ProtobufMessage {
  private(set) var bytes: [UInt8] = []

  mutating func varint(_ field: Int, _ value: UInt64) {
    key(field, wireType: 0)
    append(varint: value)
  }

  mutating func fixed64(_ field: Int, _ value: UInt64) {
    key(field, wireType: 1)
    bytes += (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
  }

  mutating func bytes(_ field: Int, _ value: [UInt8]) {
    key(field, wireType: 2)
    append(varint: UInt64(value.count))
    bytes += value
  }

  mutating func string(_ field: Int, _ text: String) { bytes(field, Array(text.utf8)) }

  /// An embedded message, built by `build`.
  mutating func message(_ field: Int, _ build: (inout ProtobufMessage) -> Void) {
    var inner = ProtobufMessage()
    build(&inner)
    bytes(field, inner.bytes)
  }

  /// A KeyValue's fields: the key, and a string AnyValue.
  mutating func keyValue(_ key: String, _ value: String) {
    string(1, key)
    message(2) { $0.string(1, value) }
  }

  private mutating func key(_ field: Int, wireType: Int) { append(varint: UInt64(field << 3 | wireType)) }

  private mutating func append(varint value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(rest & 0x7F) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }
}
