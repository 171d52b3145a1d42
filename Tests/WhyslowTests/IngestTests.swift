import Foundation
import Testing
import WhyslowIngest

/// Counts computed independently by scripts/count_jaeger_spans.py.
struct ExpectedCounts: Decodable {
  let traces: Int
  let spans: Int
  let duplicates: Int
  let orphans: Int
}

let expectedCounts: [String: ExpectedCounts] = {
  guard let data = try? Data(contentsOf: fixture("jaeger_counts.json")),
    let counts = try? JSONDecoder().decode([String: ExpectedCounts].self, from: data)
  else { return [:] }
  return counts
}()

struct IngestTests {
  @Test func referenceCountsAreAvailable() {
    #expect(expectedCounts.count == 48)
  }

  @Test(arguments: expectedCounts.keys.sorted())
  func realJaegerFileLoadsWithTheIndependentCounts(_ relativePath: String) throws {
    let expected = try #require(expectedCounts[relativePath])
    let table = try TraceReader.read(paths: [realDatasets.appendingPathComponent(relativePath).path])
    #expect(table.traceCount == expected.traces)
    #expect(table.spanCount == expected.spans)
    #expect(table.quality.duplicateSpans == expected.duplicates)
    #expect(table.quality.orphanSpans == expected.orphans)
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
    #expect(table.quality.files == 2)
    #expect(table.traceCount == 60)
    #expect(table.traceID(0) == "00000000000000000000000000001000")
  }

  @Test func malformedJSONNamesTheFileAndLine() throws {
    let path = try temporaryFile("broken.json", "{\"data\": [\n  {\"traceID\": \"a\", \"spans\": [}\n]}")
    #expect {
      try TraceReader.read(paths: [path])
    } throws: { error in
      guard case .malformed(let file, let line, _, _) = error as? IngestError else { return false }
      return file == path && line == 2
    }
  }

  @Test func otherFormatsAreRejectedWithAReason() throws {
    let path = realDatasets.appendingPathComponent(
      "opentelemetry/opentelemetry-proto/examples/trace.json"
    ).path
    #expect {
      try TraceReader.read(paths: [path])
    } throws: { error in
      String(describing: error).contains("not a Jaeger JSON document")
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

  @Test func missingPathsAreReported() {
    #expect(throws: IngestError.cannotRead(path: "/nonexistent/x.json", reason: "no such file or directory")) {
      try TraceReader.read(paths: ["/nonexistent/x.json"])
    }
  }
}
