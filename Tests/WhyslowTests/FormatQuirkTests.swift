import Foundation
import Testing
import WhyslowFeatures
import WhyslowIngest

/// Hand-written fixtures, one per quirk of the formats users hold.
struct FormatQuirkTests {
  /// The span rows of `table` by operation name.
  func rows(_ table: SpanTable) -> [String: Int] {
    Dictionary(
      uniqueKeysWithValues: (0..<table.spanCount).map { (table.strings[Int(table.operation[$0])], $0) })
  }

  func operation(_ table: SpanTable, _ row: Int32) -> String? {
    row < 0 ? nil : table.strings[Int(table.operation[Int(row)])]
  }

  @Test func zipkinSharedClientAndServerHalvesBecomeParentAndChild() throws {
    // One id, two halves: the server half must hang under the client half, and the span the
    // server made (parentId = the shared id) under the server half.
    let path = try temporaryFile(
      "shared.json",
      #"""
      [{"traceId":"00000000000000AA","id":"0000000000000001","name":"root","kind":"SERVER","timestamp":1000,"duration":500,"localEndpoint":{"serviceName":"front"}},
       {"traceId":"00000000000000aa","id":"0000000000000002","parentId":"0000000000000001","name":"call","kind":"CLIENT","timestamp":1100,"duration":300,"localEndpoint":{"serviceName":"front"},"remoteEndpoint":{"serviceName":"back"}},
       {"traceId":"00000000000000aa","id":"0000000000000002","parentId":"0000000000000001","name":"handle","kind":"SERVER","timestamp":1150,"duration":200,"localEndpoint":{"serviceName":"back"},"shared":true},
       {"traceId":"00000000000000aa","id":"0000000000000003","parentId":"0000000000000002","name":"query","timestamp":1200,"duration":50,"localEndpoint":{"serviceName":"back"},"tags":{"error":"timeout"}},
       {"traceId":"00000000000000aa","id":"0000000000000004","parentId":"0000000000000001","name":"untimed","localEndpoint":{"serviceName":"front"}}]
      """#)
    let table = try TraceReader.read(paths: [path])
    #expect(table.quality.files.map(\.format) == [.zipkin])
    #expect(table.traceCount == 1)  // trace ids are lower-cased hex
    #expect(table.spanCount == 4)
    #expect(table.quality.sharedSpansSplit == 1)
    #expect(table.quality.spansWithoutTiming == 1)
    let row = rows(table)
    #expect(operation(table, table.parentIndex[try #require(row["handle"])]) == "call")
    #expect(operation(table, table.parentIndex[try #require(row["query"])]) == "handle")
    #expect(operation(table, table.parentIndex[try #require(row["call"])]) == "root")
    #expect(table.isError[try #require(row["query"])])
    #expect(table.startNanos[try #require(row["root"])] == 1_000_000)
  }

  @Test func otlpJSONLinesTraceSplitAcrossLinesAndFilesIsReassembled() throws {
    // Base64 and upper-case hex name the same ids; 64-bit times come as strings and numbers;
    // kinds and status codes as enum names and integers.
    let first = try temporaryFile(
      "a.jsonl",
      #"""
      {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[{"traceId":"AAECAwQFBgcICQoLDA0ODw==","spanId":"AAAAAAAAAAE=","name":"GET /x","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"}]}]}]}
      {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"db"}}]},"scopeSpans":[{"spans":[{"traceId":"000102030405060708090A0B0C0D0E0F","spanId":"0000000000000002","parentSpanId":"0000000000000001","name":"SELECT","kind":3,"startTimeUnixNano":1700000000010000000,"endTimeUnixNano":1700000000090000000,"status":{"code":"STATUS_CODE_ERROR"},"attributes":[{"key":"rows","value":{"intValue":"9223372036854775807"}}]}]}]}]}
      """#)
    let second = try temporaryFile(
      "b.jsonl",
      #"""
      {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cache"}}]},"scopeSpans":[{"spans":[{"traceId":"000102030405060708090a0b0c0d0e0f","spanId":"0000000000000003","parentSpanId":"0000000000000001","name":"GET","kind":3,"startTimeUnixNano":"1700000000005000000","endTimeUnixNano":"1700000000008000000","status":{"code":0}}]}]}]}
      """#)
    let table = try TraceReader.read(paths: [first, second])
    #expect(table.traceCount == 1)
    #expect(table.traceID(0) == "000102030405060708090a0b0c0d0e0f")
    #expect(table.spanCount == 3)
    #expect(table.quality.orphanSpans == 0)
    let row = rows(table)
    let select = try #require(row["SELECT"])
    #expect(operation(table, table.parentIndex[select]) == "GET /x")
    #expect(table.spanKind[select] == .client)
    #expect(table.spanKind[try #require(row["GET /x"])] == .server)
    let cacheRead = try #require(row["GET"])
    #expect(table.isError[select] && !table.isError[cacheRead])
    #expect(table.durationNanos[select] == 80_000_000)
    #expect(table.strings[Int(table.service[select])] == "db")
    let attribute = try #require((0..<table.attributes.count).first { table.attributes.span[$0] == Int32(select) })
    #expect(table.strings[Int(table.attributes.text[attribute])] == "9223372036854775807")
    #expect(table.attributes.type[attribute] == .int)
  }

  @Test func aBrokenJSONLinesRecordNamesItsLine() throws {
    let path = try temporaryFile(
      "broken.jsonl",
      """
      {"resourceSpans":[]}
      {"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"01","spanId":"02",]}]}]}

      """)
    #expect {
      try TraceReader.read(paths: [path])
    } throws: { error in
      guard case .malformed(_, let place, _) = error as? IngestError else { return false }
      return place?.hasPrefix("2:") == true
    }
  }

  /// Trailing documents are never dropped in silence: Jaeger traces one per line (what
  /// `jq -c '.data[]'` writes from a query-API reply) are all read, two replies on two lines
  /// are both read, and two replies written back to back are refused at the second one.
  @Test func trailingDocumentsAreNeverDroppedInSilence() throws {
    let reply = try String(contentsOf: packageRoot.appendingPathComponent("Datasets/demo/slow/traces-1.json"), encoding: .utf8)
    let whole = try TraceReader.read(paths: [try temporaryFile("reply.json", reply)])
    #expect(whole.traceCount == 30)
    let object = try #require(JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any])
    let traces = try #require(object["data"] as? [Any])
    let lines = try traces.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
    let perLine = try TraceReader.read(paths: [try temporaryFile("traces.jsonl", lines.joined(separator: "\n") + "\n")])
    #expect(perLine.traceCount == whole.traceCount && perLine.spanCount == whole.spanCount)
    let compact = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    let twoLines = try TraceReader.read(paths: [try temporaryFile("two.jsonl", compact + "\n" + compact + "\n")])
    #expect(twoLines.traceCount == whole.traceCount && twoLines.quality.duplicateSpans == whole.spanCount)
    let path = try temporaryFile("concatenated.json", compact + compact)
    #expect(throws: IngestError.malformed(
      path: path, place: "1:\(compact.utf8.count + 1)",
      message: "content after the end of the JSON document: give one document per file, or JSON Lines (one document per line)")) {
      try TraceReader.read(paths: [path])
    }
  }

  @Test func jaegerSpanArrayWithEmbeddedProcessesAndTypedTags() throws {
    let path = try temporaryFile(
      "spans.json",
      #"""
      [{"traceID":"t1","spanID":"a","operationName":"root","references":[],"startTime":10,"duration":100,"process":{"serviceName":"svc"},"tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"big","type":"int64","value":"9223372036854775222"}]},
       {"traceID":"t1","spanID":"b","operationName":"later","references":[{"refType":"FOLLOWS_FROM","traceID":"t1","spanID":"a"}],"startTime":50,"duration":200,"process":{"serviceName":"worker"},"tags":[{"key":"error","type":"bool","value":"true"}]},
       {"traceID":"t1","spanID":"c","operationName":"cross","references":[{"refType":"CHILD_OF","traceID":"other","spanID":"zz"}],"startTime":20,"duration":5,"process":{"serviceName":"svc"}}]
      """#)
    let table = try TraceReader.read(paths: [path])
    let row = rows(table)
    let later = try #require(row["later"])
    #expect(table.edgeKind[later] == .followsFrom)
    #expect(table.isError[later])
    #expect(table.strings[Int(table.service[later])] == "worker")
    // A reference into another trace is no parent here.
    #expect(table.parentIndex[try #require(row["cross"])] == -1)
    #expect(table.quality.multiRootTraces == 1)
    #expect(table.spanKind[try #require(row["root"])] == .server)
    #expect(table.attributes.count == 3)
  }


  @Test func shortStringsThatShareTheirEndsStayDistinct() throws {
    // Strings of up to 16 bytes are cached as two overlapping words and their length: every
    // byte must count, at every length (1-3, 4-7 and 8-16 bytes read differently).
    let values = [
      "a", "b", "ab", "ba", "aa", "aba", "abb", "aab", "abcd", "abce", "bbcd", "abXcd", "abYcd", "abcdefg", "abcdXfg",
      "abcdefgh", "abcdefgi", "abcdefghi", "abcdXfghi", "0123456789abcdef", "0123456X89abcdef", "0123456789abcdeX",
      "0123456789abcde", "0123456789abcdef0",
    ]
    let spans = values.enumerated().map { index, value in
      #"{"traceID":"t1","spanID":"\#(String(index + 1, radix: 16))","operationName":"op\#(index)","references":[],"#
        + #""startTime":\#(10 + index),"duration":5,"processID":"p1","tags":[{"key":"v","type":"string","value":"\#(value)"},"#
        + #"{"key":"\#(value)","type":"string","value":"k"}]}"#
    }
    let path = try temporaryFile(
      "short.json", #"{"data":[{"traceID":"t1","spans":["# + spans.joined(separator: ",") + #"],"processes":{"p1":{"serviceName":"svc"}}}]}"#)
    for _ in 0..<2 {  // twice: the second read finds every string in the cache
      let table = try TraceReader.read(paths: [path])
      let row = rows(table)
      let attributes = table.attributes
      for (index, value) in values.enumerated() {
        let span = Int32(try #require(row["op\(index)"]))
        let own = attributes.span.indices.filter { attributes.span[$0] == span }
        #expect(own.map { table.strings[Int(attributes.key[$0])] } == ["v", value])
        #expect(table.strings[Int(attributes.text[own[0]])] == value)
      }
    }
  }

  @Test func jaegerKeysWrittenWithEscapesAreTheKeysTheyName() throws {
    // The readers match keys as written, byte for byte; a key spelled with \u escapes must
    // still be the field it names, and a key that only starts like one must not be.
    let path = try temporaryFile(
      "escaped.json",
      #"""
      {"data":[{"traceID":"t1","spans":[
        {"traceID":"t1","span\u0049D":"a","operation\u004eame":"root","references":[],"startTime":10,"\u0064uration":100,"processID":"p1","tags":[{"k\u0065y":"span.kind","type":"string","valu\u0065":"server"}]},
        {"traceID":"t1","spanID":"b","operationName":"child","references":[{"ref\u0054ype":"CHILD_OF","traceID":"t1","span\u0049D":"a"}],"startTime":20,"duration":30,"processID":"p1","tagsx":[{"key":"ignored","type":"string","value":"x"}]}
      ],"processes":{"p1":{"serviceName":"svc"}}}]}
      """#)
    let table = try TraceReader.read(paths: [path])
    let row = rows(table)
    let root = try #require(row["root"])
    #expect(table.durationNanos[root] == 100_000)
    #expect(table.spanKind[root] == .server)
    #expect(operation(table, table.parentIndex[try #require(row["child"])]) == "root")
    #expect(table.attributes.count == 1)
  }
  @Test func jaegerTagsReadTheSameHoweverTheyAreWritten() throws {
    // Tags written as Jaeger writes them are read straight from the bytes; spaced out, with an
    // escape in a later tag (the fast read gives up midway), with a nested value, or in another
    // field order, simdjson reads them. Every spelling must give the same attributes.
    let tags = [
      #"{"key":"span.kind","type":"string","value":"server"}"#, #"{"key":"http.status_code","type":"int64","value":503}"#,
      #"{"key":"ratio","type":"float64","value":-2.5e-3}"#, #"{"key":"error","type":"bool","value":true}"#,
      #"{"key":"cached","type":"bool","value":false}"#, #"{"key":"big","type":"int64","value":"9007199254740993"}"#,
      #"{"key":"none","type":"string","value":null}"#, #"{"key":"url","type":"string","value":"/a/b?c=d"}"#,
    ]
    let spellings = [
      "[" + tags.joined(separator: ",") + "]",
      "[ " + tags.map { $0.replacingOccurrences(of: ":", with: ": ") }.joined(separator: ", ") + " ]",
      "[" + tags.joined(separator: ",").replacingOccurrences(of: "/a/b", with: #"\/a\/b"#) + "]",
      "[" + tags.joined(separator: ",") + #",{"key":"nested","type":"string","value":{"x":1}}]"#,
      "[" + tags.joined(separator: ",").replacingOccurrences(of: #"{"key":"ratio","type":"float64","#, with: #"{"type":"float64","key":"ratio","#) + "]",
    ]
    var read: [[String]] = []
    for (index, spelling) in spellings.enumerated() {
      let path = try temporaryFile(
        "tags\(index).json",
        #"{"data":[{"traceID":"t1","spans":[{"traceID":"t1","spanID":"a","operationName":"root","references":[],"startTime":10,"duration":100,"processID":"p1","tags":"#
          + spelling + #"}],"processes":{"p1":{"serviceName":"svc"}}}]}"#)
      let table = try TraceReader.read(paths: [path])
      #expect(table.spanKind[0] == .server, "spelling \(index)")
      #expect(table.isError[0], "spelling \(index)")
      let attributes = table.attributes
      read.append(
        (0..<attributes.count).filter { table.strings[Int(attributes.key[$0])] != "nested" }.map {
          let text = attributes.text[$0] < 0 ? "-" : table.strings[Int(attributes.text[$0])]
          return "\(table.strings[Int(attributes.key[$0])])=\(text) \(attributes.number[$0]) \(attributes.type[$0])"
        })
    }
    #expect(
      read[0] == [
        "span.kind=server nan string", "http.status_code=503 503.0 int", "ratio=-2.5e-3 -0.0025 double",
        "error=true nan bool", "cached=false nan bool", "big=9007199254740993 9007199254740992.0 int",
        "none=null nan string", "url=/a/b?c=d nan string",
      ])
    for (index, attributes) in read.enumerated() { #expect(attributes == read[0], "spelling \(index)") }
  }

  /// Every span of `table` as one line: trace, span, service, parent, times, kind, error,
  /// edge, and its attributes.
  func described(_ table: SpanTable) -> [String] {
    let attributes = table.attributes
    var tags = [[String]](repeating: [], count: table.spanCount)
    for item in 0..<attributes.count {
      let text = attributes.text[item] < 0 ? "-" : table.strings[Int(attributes.text[item])]
      tags[Int(attributes.span[item])].append(
        "\(table.strings[Int(attributes.key[item])])=\(text)/\(attributes.number[item])/\(attributes.type[item])/\(attributes.timeNanos[item])")
    }
    return (0..<table.spanCount).map { span in
      "\(table.traceID(Int(table.traceIndex[span]))) \(table.strings[Int(table.operation[span])]) "
        + "\(table.strings[Int(table.service[span])]) <- \(operation(table, table.parentIndex[span]) ?? "none") "
        + "\(table.startNanos[span])+\(table.durationNanos[span]) \(table.spanKind[span]) \(table.isError[span]) "
        + "\(table.edgeKind[span]) \(tags[span])"
    }
  }

  @Test func compactJaegerTracesReadAsSimdjsonReadsThem() throws {
    // Traces written without spaces are read from their bytes; the same traces spaced out are
    // read by simdjson's iterator. Both must give the same table, field for field, and the same
    // errors; a trace the compact reading cannot take (a log with an event, an escaped key) is
    // handed to simdjson whole, between compact ones.
    let traces = [
      #"{"traceID":"t1","spans":[{"traceID":"t1","spanID":"a1","flags":1,"operationName":"GET /x","references":[],"startTime":1000,"duration":500,"tags":[{"key":"span.kind","type":"string","value":"server"}],"logs":[],"processID":"p1","warnings":null},{"traceID":"t1","spanID":"b2","operationName":"query","references":[{"refType":"CHILD_OF","traceID":"t1","spanID":"a1"},{"refType":"FOLLOWS_FROM","traceID":"t0","spanID":"zz"}],"startTime":1100,"duration":200,"tags":[{"key":"error","type":"bool","value":true}],"tags":[{"key":"db.rows","type":"int64","value":"12"}],"processID":"p2","extra":{"nested":[1,{"a":"]"}]}}],"processes":{"p1":{"serviceName":"front","tags":[]},"p2":{"tags":[{"key":"ip","type":"string","value":"10.0.0.1"}],"serviceName":"db"}},"warnings":null}"#,
      #"{"traceID":"t2","spans":[{"traceID":"t2","spanID":"c3","operationName":"GET /y","references":null,"startTime":"2000","duration":10,"tags":null,"logs":[{"timestamp":2005,"fields":[{"key":"event","type":"string","value":"retry"}]}],"processID":"p1"}],"processes":{"p1":{"serviceName":"front"}}}"#,
      #"{"traceID":"t3","spans":[{"traceID":"t3","spanID":"not-hex","operationName":"job","startTime":3000,"duration":7,"parentSpanID":"","process":{"serviceName":"worker"}},{"traceID":"t3","spanID":"d4","operationName":"untimed","processID":"p1"}],"processes":{"p1":{"serviceName":"w\u006frker"}}}"#,
      #"{"traceID":"t4","spans":[{"traceID":"t4","spanID":"e5","operationName":"GET /z","references":[],"startTime":4000,"duration":90,"processID":"p1","tags":[{"key":"http.url","type":"string","value":"/z?id=1"}]}],"processes":{"p1":{"serviceName":"front"}}}"#,
    ]
    func spaced(_ json: String) -> String {
      json.replacingOccurrences(of: "\":", with: "\": ").replacingOccurrences(of: ",\"", with: ", \"")
    }
    let compact = try TraceReader.read(paths: [try temporaryFile("compact.json", #"{"data":["# + traces.joined(separator: ",") + "]}")])
    let iterated = try TraceReader.read(paths: [try temporaryFile("spaced.json", #"{"data":["# + traces.map(spaced).joined(separator: ", ") + "]}")])
    #expect(compact.spanCount == 5)
    #expect(compact.quality.spansWithoutTiming == 1)
    #expect(compact.quality.asyncEdges == 1)
    #expect(described(compact) == described(iterated))
    #expect(compact.quality.counts.map(\.value) == iterated.quality.counts.map(\.value))
    let query = try #require(rows(compact)["query"])
    #expect(operation(compact, compact.parentIndex[query]) == "GET /x")
    #expect(compact.isError[query])
    #expect(compact.strings[Int(compact.service[query])] == "db")

    // The same error, each naming the span's own place, however the trace is written.
    let negative = #"{"data":[{"traceID":"t5","spans":[{"traceID":"t5","spanID":"f6","operationName":"x","startTime":1,"duration":5,"processID":"p1"},{"traceID":"t5","spanID":"f7","operationName":"y","startTime":1,"duration":-5,"processID":"p1"}],"processes":{"p1":{"serviceName":"s"}}}]}"#
    for (index, json) in [negative, spaced(negative)].enumerated() {
      let span = try #require(json.range(of: spaced(#"{"traceID":"t5","spanID":"f7""#)) ?? json.range(of: #"{"traceID":"t5","spanID":"f7""#))
      let column = json.utf8.distance(from: json.startIndex, to: span.lowerBound) + 1
      let path = try temporaryFile("negative\(index).json", json)
      #expect(throws: IngestError.malformed(path: path, place: "1:\(column)", message: "span f7 has a negative duration")) {
        _ = try TraceReader.read(paths: [path])
      }
    }
  }

  @Test func realJaegerFilesReadTheSameCompactOrSpacedOut() throws {
    // Every real Jaeger file's traces as a query API reply, written compactly with sorted keys
    // (read from its bytes; tags then come as key, type, value) and spaced out (read by
    // simdjson's iterator), must give the same spans, attributes and counts.
    let files = try FileManager.default.subpathsOfDirectory(atPath: realDatasets.path).sorted()
      .filter { $0.hasSuffix(".json") }.map { realDatasets.appendingPathComponent($0) }
    var compared = 0
    for file in files {
      let data = try Data(contentsOf: file)
      guard data.count < 2 << 20, String(decoding: data, as: UTF8.self).contains("\"spanID\""),
        let document = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
      else { continue }
      let reply: Any
      if let object = document as? [String: Any], object["data"] != nil {
        reply = object
      } else if let object = document as? [String: Any], object["spans"] != nil {
        reply = ["data": [object]]
      } else if let traces = document as? [[String: Any]], traces.allSatisfy({ $0["spans"] != nil }) {
        reply = ["data": traces]
      } else {
        continue
      }
      let written: JSONSerialization.WritingOptions = [.withoutEscapingSlashes, .fragmentsAllowed, .sortedKeys]
      let compact = try JSONSerialization.data(withJSONObject: reply, options: written)
      let spaced = try JSONSerialization.data(withJSONObject: reply, options: written.union(.prettyPrinted))
      func read(_ bytes: Data, _ name: String) -> Result<SpanTable, IngestError> {
        Result {
          try TraceReader.read(paths: [try temporaryFile(name, String(decoding: bytes, as: UTF8.self))])
        }.mapError { $0 as? IngestError ?? .cannotRead(path: "-", reason: "\($0)") }
      }
      switch (read(compact, "compact.json"), read(spaced, "spaced.json")) {
      case (.success(let one), .success(let other)):
        #expect(described(one) == described(other), "\(file.lastPathComponent)")
        #expect(one.quality.counts.map(\.value) == other.quality.counts.map(\.value), "\(file.lastPathComponent)")
        compared += 1
      case (.failure(.malformed(_, _, let message)), .failure(.malformed(_, _, let other))):
        #expect(message == other, "\(file.lastPathComponent)")
      case (let one, let other):
        Issue.record("\(file.lastPathComponent): \(one) against \(other)")
      }
    }
    #expect(compared >= 40)
  }

  @Test func linkingOnTwoThreadsGivesTheTableOneThreadGives() throws {
    // Enough traces for the linker to split them between two threads, each trace with a
    // shared client/server id, a duplicate, an orphan and a parent cycle to repair.
    var spans: [String] = []
    for trace in 0..<300 {
      let id = String(format: "%016x", trace + 1)
      func span(_ span: Int, parent: Int?, name: String, kind: String? = nil, at: Int = 1000) -> String {
        let parentField = parent.map { #","parentId":"\#(String(format: "%016x", $0))""# } ?? ""
        let kindField = kind.map { #","kind":"\#($0)""# } ?? ""
        return #"{"traceId":"\#(id)","id":"\#(String(format: "%016x", span))"\#(parentField),"name":"\#(name)"\#(kindField),"timestamp":\#(at),"duration":100,"localEndpoint":{"serviceName":"s\#(trace % 7)"}}"#
      }
      spans += [
        span(1, parent: nil, name: "root", kind: "SERVER"), span(2, parent: 1, name: "call", kind: "CLIENT", at: 1010),
        span(2, parent: 1, name: "handle", kind: "SERVER", at: 1020), span(3, parent: 2, name: "query", at: 1030),
        span(3, parent: 2, name: "query again", at: 1040), span(4, parent: 99, name: "orphan", at: 1050),
        span(5, parent: 6, name: "loop a", at: 1060), span(6, parent: 5, name: "loop b", at: 1070),
      ]
    }
    let path = try temporaryFile("many.json", "[" + spans.joined(separator: ",\n") + "]")
    let one = try TraceReader.read(paths: [path], options: ReadOptions(parallelFiles: 1))
    let two = try TraceReader.read(paths: [path], options: ReadOptions(parallelFiles: 2))
    #expect(one.traceCount == 300)
    #expect(one.quality.sharedSpansSplit == 300)
    #expect(one.quality.duplicateSpans == 300)
    #expect(one.quality.orphanSpans == 600)  // the orphan, and each cycle cut once
    #expect(described(one) == described(two))
    #expect(one.quality.counts.map(\.value) == two.quality.counts.map(\.value))
  }

  @Test func csvColumnsAndUnitsAreInferredAndStated() throws {
    // Milliseconds inferred from the magnitude; pod names become services.
    let path = try temporaryFile(
      "spans.csv",
      """
      trace_id,span_id,parent_span_id,pod,name,start_ms,duration_ms,status
      t1,a,,checkout-7d9f8b6c5d-x2x9k,GET /cart,1700000000000.5,120,OK
      t1,b,a,"cart-5d4c3b2a19-abcde","query, with comma",1700000000010,30.25,ERROR
      t1,c,a,broken,row
      """)
    let table = try TraceReader.read(paths: [path])
    #expect(table.spanCount == 2)
    #expect(table.quality.skippedRecords == 1)
    let row = rows(table)
    let query = try #require(row["query, with comma"])
    #expect(table.strings[Int(table.service[query])] == "cart")
    #expect(table.isError[query])
    #expect(table.durationNanos[query] == 30_250_000)
    #expect(table.startNanos[try #require(row["GET /cart"])] == 1_700_000_000_000_500_000)
    #expect(table.quality.notes.contains { $0.contains("\"start_ms\" read as milliseconds") })
    #expect(table.quality.notes.contains { $0.contains("pod names") })
  }

  @Test func csvColumnsCanBeMappedByHand() throws {
    let path = try temporaryFile(
      "odd.csv",
      """
      T,S,P,Svc,Op,Begin,Finish
      t1,a,,api,root,1000,2000
      t1,b,a,db,q,1200,1500
      """)
    #expect {
      try TraceReader.read(paths: [path])
    } throws: { error in
      String(describing: error).contains("--columns trace=NAME")
    }
    let table = try TraceReader.read(
      paths: [path],
      options: ReadOptions(
        csvColumns: "trace=T,span=S,parent=P,service=Svc,operation=Op,start=Begin,end=Finish"))
    #expect(table.spanCount == 2)
    #expect(table.durationNanos.sorted() == [300_000_000_000, 1_000_000_000_000])  // seconds
  }

  @Test func timesBeyond64BitNanosecondsAreRefusedOrLeftOut() throws {
    // 9,223,372,036,854,776 µs is one past what Int64 nanoseconds hold.
    let overflow = try temporaryFile(
      "overflow.json",
      #"[{"traceId":"aa","id":"01","name":"x","timestamp":9223372036854776,"duration":10,"localEndpoint":{"serviceName":"s"}}]"#)
    #expect {
      try TraceReader.read(paths: [overflow])
    } throws: { error in
      String(describing: error) == "\(overflow):1:2: \"timestamp\" is out of range"
    }
    // A start that fits but an end that does not: the span has no usable timing.
    let late = try temporaryFile(
      "late.json",
      #"[{"traceId":"aa","id":"01","name":"x","timestamp":9223372036854775,"duration":900,"localEndpoint":{"serviceName":"s"}},{"traceId":"aa","id":"02","parentId":"01","name":"y","timestamp":1,"duration":2,"localEndpoint":{"serviceName":"s"}}]"#)
    let table = try TraceReader.read(paths: [late])
    #expect(table.spanCount == 1 && table.quality.spansWithoutTiming == 1 && table.quality.orphanSpans == 1)
  }

  @Test func gzipCompressedFilesAreReadTransparently() throws {
    let plain = packageRoot.appendingPathComponent("Datasets/demo/fast/traces-1.json").path
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-gz-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let compressed = folder.appendingPathComponent("traces-1.json.gz").path
    try shell("gzip -c '\(plain)' > '\(compressed)'")
    let table = try TraceReader.read(paths: [folder.path])
    #expect(table.spanCount == (try TraceReader.read(paths: [plain])).spanCount)
  }
}

struct SpanEventTests {
  /// Jaeger logs, OTLP events and Zipkin annotations all arrive as `event` attributes with
  /// their time in nanoseconds; they never become feature columns.
  @Test(arguments: [
    (
      "events.json",
      #"{"data":[{"traceID":"t","processes":{"p":{"serviceName":"s"}},"spans":[{"traceID":"t","spanID":"a","operationName":"op","startTime":1000,"duration":50,"processID":"p","logs":[{"timestamp":1020,"fields":[{"key":"event","type":"string","value":"File saved"}]}]}]}]}"#
    ),
    (
      "events-otlp.json",
      #"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeSpans":[{"spans":[{"traceId":"0000000000000000000000000000000a","spanId":"000000000000000a","name":"op","startTimeUnixNano":"1000000","endTimeUnixNano":"1050000","events":[{"timeUnixNano":"1020000","name":"File saved"}]}]}]}]}"#
    ),
    (
      "events-zipkin.json",
      #"[{"traceId":"000000000000000a","id":"000000000000000a","name":"op","timestamp":1000,"duration":50,"localEndpoint":{"serviceName":"s"},"annotations":[{"timestamp":1020,"value":"File saved"}]}]"#
    ),
  ])
  func eventsAreReadWithTheirTime(_ name: String, _ document: String) throws {
    let table = try TraceReader.read(paths: [try temporaryFile(name, document)])
    let events = (0..<table.attributes.count).filter { table.attributes.type[$0] == .event }
    #expect(events.count == 1)
    let event = try #require(events.first)
    #expect(table.strings[Int(table.attributes.key[event])] == "File saved")
    #expect(table.attributes.timeNanos[event] - table.startNanos[Int(table.attributes.span[event])] == 20_000)
    let matrix = FeatureMatrix(fast: table, slow: table)
    #expect(!matrix.attributes.columns.contains { $0.kind.name.contains("File saved") })
  }
}
