import Foundation

/// Synthetic trace documents of a known size for throughput benchmarks: `traces` checkout-like
/// traces of `spansPerTrace` spans each, with tags, references and processes as real exports
/// have them.
public enum SyntheticTraces {
  /// A Jaeger query-API document `{"data":[trace,...]}`.
  public static func jaeger(traces: Int, spansPerTrace: Int) -> Data {
    var out = "{\"data\":["
    for trace in 0..<traces {
      let traceID = String(format: "%032x", trace + 1)
      out += trace == 0 ? "" : ","
      out += "{\"traceID\":\"\(traceID)\",\"spans\":["
      for span in 0..<spansPerTrace {
        let spanID = String(format: "%016x", trace * spansPerTrace + span + 1)
        let parentID = String(format: "%016x", trace * spansPerTrace + max(span / 4, 0) + 1)
        let references =
          span == 0
          ? "[]"
          : "[{\"refType\":\"CHILD_OF\",\"traceID\":\"\(traceID)\",\"spanID\":\"\(parentID)\"}]"
        out += span == 0 ? "" : ","
        out +=
          "{\"traceID\":\"\(traceID)\",\"spanID\":\"\(spanID)\",\"flags\":1,"
          + "\"operationName\":\"GET /api/v1/items/\(span % 17)\",\"references\":\(references),"
          + "\"startTime\":\(1_700_000_000_000_000 + trace * 1_000_000 + span * 100),"
          + "\"duration\":\(1000 + (span * 7919 + trace * 104_729) % 5000),"
          + "\"tags\":[{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"server\"},"
          + "{\"key\":\"http.status_code\",\"type\":\"int64\",\"value\":200},"
          + "{\"key\":\"db.instance\",\"type\":\"string\",\"value\":\"replica-\(span % 3)\"}],"
          + "\"logs\":[],\"processID\":\"p\(span % 8 + 1)\",\"warnings\":null}"
      }
      out += "],\"processes\":{"
      out += (1...8).map { "\"p\($0)\":{\"serviceName\":\"service-\($0)\",\"tags\":[]}" }
        .joined(separator: ",")
      out += "},\"warnings\":null}"
    }
    out += "],\"total\":0,\"limit\":0,\"offset\":0,\"errors\":null}"
    return Data(out.utf8)
  }

  /// An OTLP JSON document `{"resourceSpans":[...]}`, one resource per service.
  public static func otlp(traces: Int, spansPerTrace: Int) -> Data {
    var perService = [[String]](repeating: [], count: 8)
    for trace in 0..<traces {
      let traceID = String(format: "%032x", trace + 1)
      for span in 0..<spansPerTrace {
        let spanID = String(format: "%016x", trace * spansPerTrace + span + 1)
        let parentID = String(format: "%016x", trace * spansPerTrace + max(span / 4, 0) + 1)
        let start = 1_700_000_000_000_000_000 + trace * 1_000_000_000 + span * 100_000
        let end = start + 1_000_000 + (span * 7919 + trace * 104_729) % 5_000_000
        perService[span % 8].append(
          "{\"traceId\":\"\(traceID)\",\"spanId\":\"\(spanID)\","
            + (span == 0 ? "" : "\"parentSpanId\":\"\(parentID)\",")
            + "\"name\":\"GET /api/v1/items/\(span % 17)\",\"kind\":2,"
            + "\"startTimeUnixNano\":\"\(start)\",\"endTimeUnixNano\":\"\(end)\","
            + "\"attributes\":[{\"key\":\"http.status_code\",\"value\":{\"intValue\":\"200\"}},"
            + "{\"key\":\"db.instance\",\"value\":{\"stringValue\":\"replica-\(span % 3)\"}}],"
            + "\"status\":{}}")
      }
    }
    let resources = perService.enumerated().map { service, spans in
      "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":"
        + "\"service-\(service + 1)\"}}]},\"scopeSpans\":[{\"scope\":{},\"spans\":["
        + spans.joined(separator: ",") + "]}]}"
    }
    return Data(("{\"resourceSpans\":[" + resources.joined(separator: ",") + "]}").utf8)
  }
}
