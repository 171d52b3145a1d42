import Foundation
import WhyslowIngest

/// Writes generated spans in any of the exporters' formats whyslow reads, as real exporters shape them:
/// Jaeger query-API JSON, OTLP JSON Lines (the Collector's file exporter), Zipkin v2 JSON and a
/// span-table CSV. Files hold at most `tracesPerFile` traces; output is deterministic.
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
      try Data(render(chunk).utf8).write(to: folder.appendingPathComponent(name))
    }
  }

  private var fileExtension: String {
    switch format {
    case .jaeger, .zipkin: return "json"
    case .otlp: return "jsonl"
    case .csv: return "csv"
    case .spanRecords: return "spans"
    }
  }

  private func render(_ traces: [[SyntheticSpan]]) -> String {
    switch format {
    case .spanRecords: preconditionFailure("span records are written from span tables (whyslow spans), not generated")
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
        let kind: Int
        switch span.kind {
        case .internal: kind = 1
        case .server: kind = 2
        case .client: kind = 3
        case .producer: kind = 4
        case .consumer: kind = 5
        }
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

  private func zipkinSpan(_ span: SyntheticSpan) -> String {
    var tags = span.attributes
    if span.isError { tags["error"] = "true" }
    let tagText = tags.sorted { $0.key < $1.key }.map { "\(json($0.key)):\(json($0.value))" }
    let parent = span.parentID.isEmpty ? "" : #""parentId":"\#(span.parentID)","#
    let kind = span.kind == .internal ? "" : #""kind":"\#(span.kind.rawValue.uppercased())","#
    return
      #"{"traceId":"\#(span.traceID)","id":"\#(span.spanID)",\#(parent)\#(kind)"name":\#(json(span.operation)),"timestamp":\#(span.startNanos / 1000),"duration":\#(max(1, span.durationNanos / 1000)),"localEndpoint":{"serviceName":\#(json(span.service))},"tags":{\#(tagText.joined(separator: ","))}}"#
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
