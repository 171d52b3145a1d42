import Foundation
import Testing

/// How the batches were chosen, judged: a baseline far from the slowdown is called stale.
struct BaselineChoiceTests {
  /// A fault-free minute hours before the faulty ones is a stale baseline: said so, with each
  /// batch's time range; the minutes just after it are not.
  @Test func aBaselineHoursAwayIsCalledStale() throws {
    let nezha = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets/real/nezha")
    let fast = ["--fast", nezha.appendingPathComponent("construct_data/2023-01-30/trace/11_39_trace.csv").path]
    let slow = { (minutes: [String]) in
      ["--slow"] + minutes.map { nezha.appendingPathComponent("rca_data/2023-01-30/trace/\($0)_trace.csv").path }
    }
    let late = try whyslow(["analyze"] + fast + slow(["14_00", "14_01", "14_02"]))
    #expect(late.standardOutput.contains("caution: the fast batch was recorded 2 h 20 min before the slow one"))
    #expect(late.standardError.contains("traces start 2023-01-30T11:38:52.047Z to 2023-01-30T11:39:51.167Z"))
    let near = try whyslow(["analyze"] + fast + slow(["11_51", "11_52", "11_53"]))
    #expect(near.status == 0 && !near.standardOutput.contains("was recorded"))
  }
}
