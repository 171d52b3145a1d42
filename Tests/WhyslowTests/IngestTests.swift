import Foundation
import Testing
import WhyslowIngest

/// What the reader must report for a real file, computed independently by
/// scripts/count_real_spans.py.
struct ExpectedCounts: Decodable {
  let format: String
  let traces: Int
  let spans: Int
  let duplicate_spans: Int
  let shared_spans_split: Int
  let orphan_spans: Int
  let spans_without_timing: Int
  let skipped_records: Int
}

let expectedCounts: [String: ExpectedCounts] = {
  guard let data = try? Data(contentsOf: fixture("real_counts.json")),
    let counts = try? JSONDecoder().decode([String: ExpectedCounts].self, from: data)
  else { return [:] }
  return counts
}()

struct IngestTests {
  @Test func referenceCountsCoverEveryRealTraceFile() {
    #expect(expectedCounts.count == 110)
    #expect(Set(expectedCounts.values.map(\.format)) == ["jaeger", "otlp", "zipkin", "csv"])
  }

  @Test(arguments: expectedCounts.keys.sorted())
  func realFileLoadsWithTheIndependentCounts(_ relativePath: String) throws {
    let expected = try #require(expectedCounts[relativePath])
    let path = realDatasets.appendingPathComponent(relativePath).path
    if expected.spans == 0 && expected.spans_without_timing + expected.skipped_records > 0 {
      // A file none of whose spans can be read is refused, saying why, never read as empty.
      let rejected = expected.spans_without_timing + expected.skipped_records
      #expect(throws: IngestError.malformed(
        path: path, place: nil,
        message: "none of its \(rejected) spans could be read (\(expected.skipped_records) without a trace or span "
          + "id, \(expected.spans_without_timing) without a start time and a duration)")) {
        try TraceReader.read(paths: [path])
      }
      return
    }
    let table = try TraceReader.read(paths: [path])
    #expect(table.quality.files.map(\.format.rawValue) == [expected.format])
    #expect(table.traceCount == expected.traces)
    #expect(table.spanCount == expected.spans)
    #expect(table.quality.duplicateSpans == expected.duplicate_spans)
    #expect(table.quality.sharedSpansSplit == expected.shared_spans_split)
    #expect(table.quality.orphanSpans == expected.orphan_spans)
    #expect(table.quality.spansWithoutTiming == expected.spans_without_timing)
    #expect(table.quality.skippedRecords == expected.skipped_records)
  }

  @Test func jaegerFieldsAreReadExactly() throws {
    let path = realDatasets.appendingPathComponent(
      "jaeger-ui/packages/jaeger-ui/src/components/TracePage/TraceGraph/testTrace.json"
    ).path
    let table = try TraceReader.read(paths: [path])
    // Microseconds become exact nanoseconds; the bool-typed error tag with value "true" counts.
    #expect(table.startNanos.allSatisfy { $0 % 1000 == 0 && $0 > 1_000_000_000_000_000_000 })
    #expect(table.isError.contains(true))
    #expect(table.edgeKind.contains(.followsFrom))
    #expect(table.edgeKind.filter { $0 == .none }.count == 1)
  }

  @Test func directoriesAreReadInSortedOrder() throws {
    let table = try TraceReader.read(paths: [packageRoot.appendingPathComponent("Datasets/demo/fast").path])
    #expect(table.quality.files.count == 2)
    #expect(table.traceCount == 60)
    #expect(table.traceID(0) == "00000000000000000000000000001000")
  }

  @Test func malformedJSONNamesTheFileAndLine() throws {
    let path = try temporaryFile("broken.json", "{\"data\": [\n  {\"traceID\": \"a\", \"spans\": [}\n]}")
    #expect {
      try TraceReader.read(paths: [path])
    } throws: { error in
      guard case .malformed(let file, let place, _) = error as? IngestError else { return false }
      return file == path && place?.hasPrefix("2:") == true
    }
  }

  @Test func anUnknownShapeAsksForTheFormat() throws {
    let path = try temporaryFile("unknown.json", #"{"metrics": [1, 2, 3]}"#)
    #expect {
      try TraceReader.read(paths: [path])
    } throws: { error in
      String(describing: error).contains("cannot tell the trace format") && String(describing: error).hasPrefix(path)
    }
  }

  @Test func jaegersInternalDomainModelIsRejectedWithTheReason() throws {
    let path = realDatasets.appendingPathComponent(
      "jaeger/internal/uimodel/converter/v1/json/fixtures/domain_01.json"
    ).path
    #expect {
      try TraceReader.read(paths: [path])
    } throws: { error in
      String(describing: error).contains("domain-model JSON is not supported")
    }
  }

  @Test func aSpanNamingAnUndefinedProcessIsAnError() throws {
    let path = try temporaryFile(
      "process.json",
      #"{"data":[{"traceID":"t","processes":{},"spans":[{"traceID":"t","spanID":"s","operationName":"o","startTime":1,"duration":2,"processID":"p9"}]}]}"#
    )
    #expect {
      try TraceReader.read(paths: [path])
    } throws: { error in
      String(describing: error).contains("processID \"p9\"")
    }
  }

  /// Files are mapped from the page cache with their padding on the next page when the last one
  /// is (nearly) full: files ending on every byte near a page boundary parse, whole or cut short.
  @Test(arguments: [4096 - 65, 4096 - 64, 4096 - 63, 4095, 4096, 4097, 8192])
  func filesEndingAtAPageBoundaryParse(size: Int) throws {
    let trace = #"{"data":[{"traceID":"t","processes":{"p1":{"serviceName":"api"}},"spans":[{"traceID":"t","spanID":"s","operationName":"GET /","startTime":1,"duration":2,"processID":"p1"}]}]}"#
    let whole = try temporaryFile("page-\(size).json", trace + String(repeating: " ", count: size - trace.utf8.count))
    #expect(try FileManager.default.attributesOfItem(atPath: whole)[.size] as? Int == size)
    #expect(try TraceReader.read(paths: [whole]).spanCount == 1)
    // The same bytes with a string left open up to the last byte: a JSON error, not a crash.
    let unclosed = #"{"data":[{"traceID":""#
    let open = try temporaryFile("open-\(size).json", unclosed + String(repeating: "x", count: size - unclosed.utf8.count))
    #expect(throws: IngestError.self) { try TraceReader.read(paths: [open]) }
  }

  @Test func missingPathsAreReported() {
    #expect(throws: IngestError.cannotRead(path: "/nonexistent/x.json", reason: "no such file or directory")) {
      try TraceReader.read(paths: ["/nonexistent/x.json"])
    }
  }
}
