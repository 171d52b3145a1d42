import Foundation
import Testing

struct DiffCommandTests {
  @Test func diffSplitsTheLatencyDifferenceExactly() throws {
    let run = try whyslow([
      "diff", "Datasets/demo/fast/traces-1.json", "Datasets/demo/slow/traces-1.json",
      "--trace-a", "00000000000000000000000000001000", "--trace-b", "00000000000000000000000000002000",
    ])
    #expect(run.status == 0)
    let lines = run.standardOutput.split(separator: "\n").map(String.init)
    #expect(lines[2] == "B − A: 76.219 ms, split over span keys by critical-path time:")
    #expect(lines[4].hasSuffix("+67.907 ms   +67.907 ms  1 → 1  payment-db SELECT payments"))
    // The critical-path column adds up to B − A.
    let critical = lines.dropFirst(4).compactMap { line -> Double? in
      Double(line.split(separator: " ").first?.replacingOccurrences(of: "+", with: "") ?? "")
    }
    #expect(abs(critical.reduce(0, +) - 76.219) < 0.0015)
  }

  @Test func aFileWithSeveralTracesNeedsATraceID() throws {
    let run = try whyslow(["diff", "Datasets/demo/fast/traces-1.json", "Datasets/demo/slow/traces-1.json"])
    #expect(run.status == 64)
    #expect(run.standardError.contains("Datasets/demo/fast/traces-1.json holds 30 traces; pick one with --trace-a/--trace-b"))
  }
}
