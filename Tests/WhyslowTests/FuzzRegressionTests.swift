import Foundation
import Testing
import WhyslowFeatures
import WhyslowIngest

/// Every input the fuzzers (scripts/fuzz.sh) or a bad-input report ever found, replayed
/// through the Swift reader: each is read or refused with an `IngestError`, never a crash, and
/// what is read keeps the span metrics' invariants.
struct FuzzRegressionTests {
  static let inputs: [String] = {
    let folder = packageRoot.appendingPathComponent("Tests/Fuzz/regressions")
    let files = FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []
    return files.filter { $0.contains(".") }.sorted()
  }()

  @Test func everyHarnessHasRegressionInputs() {
    #expect(Self.inputs.count >= 5)
  }

  @Test(arguments: inputs)
  func aRegressionInputIsReadOrRefusedAndKeepsTheInvariants(_ relative: String) throws {
    let path = packageRoot.appendingPathComponent("Tests/Fuzz/regressions").appendingPathComponent(relative).path
    let table: SpanTable
    do {
      table = try TraceReader.read(paths: [path])
    } catch is IngestError {
      return
    }
    let matrix = FeatureMatrix(fast: table, slow: table, options: FeatureOptions(dropConstantColumns: false))
    for row in 0..<matrix.traceCount {
      var sum = 0.0
      for (index, column) in matrix.columns.enumerated() {
        let value = matrix.values[index * matrix.traceCount + row]
        switch column.kind {
        case .criticalTime:
          #expect(value >= 0, "\(relative): \(column.key) critical time")
          sum += value
        case .selfTime, .wait:
          #expect(value >= 0, "\(relative): \(column.key) \(column.kind.name)")
        default:
          continue
        }
      }
      #expect(abs(sum - matrix.latencyMillis[row]) <= 1e-9 * max(1, matrix.latencyMillis[row]), "\(relative)")
    }
  }
}
