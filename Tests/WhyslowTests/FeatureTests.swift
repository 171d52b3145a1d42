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

struct FeatureTests {
  @Test func selfTimeSubtractsTheUnionOfSynchronousChildrenClippedToTheParent() throws {
    let table = try TraceReader.read(paths: [try temporaryFile("hand.json", handTrace)])
    let matrix = FeatureMatrix(fast: table, slow: table)
    let selfTimeMillis = Dictionary(
      uniqueKeysWithValues: matrix.columns.enumerated().map { column, name in
        (name.key.operation, matrix.column(column).first ?? .nan)
      })
    let expectedMicros: [String: Double] = [
      "A": 30, "B": 10, "C": 30, "D": 40, "E": 150, "F": 10, "G": 15,
    ]
    // Both sides are correctly rounded quotients of the same exact value, so equal bit for bit.
    #expect(selfTimeMillis == expectedMicros.mapValues { $0 / 1000 })
    #expect(matrix.columns.allSatisfy { $0.kind == .selfTime && $0.key.service == "svc" })
    #expect(matrix.latencyMillis == [0.1, 0.1])
    #expect(matrix.isSlow == [false, true])
  }

  @Test func repeatedKeysInATraceAreSummed() throws {
    let trace = #"""
      {"traceID":"t","processes":{"p":{"serviceName":"db"}},"spans":[
       {"spanID":"r","operationName":"root","startTime":0,"duration":50,"processID":"p"},
       {"spanID":"q1","operationName":"query","references":[{"refType":"CHILD_OF","spanID":"r"}],"startTime":0,"duration":10,"processID":"p"},
       {"spanID":"q2","operationName":"query","references":[{"refType":"CHILD_OF","spanID":"r"}],"startTime":20,"duration":10,"processID":"p"}
      ]}
      """#
    let table = try TraceReader.read(paths: [try temporaryFile("repeat.json", trace)])
    let matrix = FeatureMatrix(fast: table, slow: table)
    let query = try #require(matrix.columns.firstIndex { $0.key.operation == "query" })
    #expect(matrix.column(query).first == 0.02)
  }
}
