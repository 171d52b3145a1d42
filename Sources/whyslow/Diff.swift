import ArgumentParser
import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowReports
import WhyslowStatistics

struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Say exactly where trace B spends more time than trace A.",
    discussion: """
      Splits the latency difference of two traces over span keys by critical-path time \
      (CRISP's algorithm), which adds up to the difference exactly; also shows each key's \
      self-time difference, its span counts, and network gaps to callees. No statistics: one \
      pair of traces supports no claim about a population; use `analyze` for batches.

      A and B are trace files (any format whyslow reads). A file holding several traces needs \
      --trace-a or --trace-b to pick one.

      Example:
        whyslow diff fast-trace.json slow-trace.json
      """
  )

  @Argument(help: ArgumentHelp("The reference trace's file.", valueName: "a"))
  var a: String

  @Argument(help: ArgumentHelp("The trace to explain (usually the slower).", valueName: "b"))
  var b: String

  @Option(help: "The trace id to take from A when it holds several.")
  var traceA: String?

  @Option(help: "The trace id to take from B when it holds several.")
  var traceB: String?

  @Option(help: "How many span keys to show.")
  var top = 15

  @OptionGroup var input: InputOptions

  func run() throws {
    let tableA = try TraceReader.read(paths: [a], options: input.readOptions)
    let tableB = try TraceReader.read(paths: [b], options: input.readOptions)
    let rowA = try pick(tableA, traceA, path: a)
    let rowB = try pick(tableB, traceB, path: b)
    let matrix = FeatureMatrix(fast: tableA, slow: tableB, options: FeatureOptions(dropConstantColumns: false))
    let difference = TraceDifference(matrix, a: rowA, b: tableA.traceCount + rowB)
    print(TraceDifferenceReport(limit: top).render(difference), terminator: "")
  }

  private func pick(_ table: SpanTable, _ id: String?, path: String) throws -> Int {
    if let id {
      guard let row = (0..<table.traceCount).first(where: { table.traceID($0) == id }) else {
        throw ValidationError("\(path): no trace with id \(id)")
      }
      return row
    }
    guard table.traceCount == 1 else {
      throw ValidationError(
        "\(path) holds \(table.traceCount) traces; pick one with --trace-a/--trace-b (for example "
          + "\(table.traceCount > 0 ? table.traceID(0) : "an id"))")
    }
    return 0
  }
}
