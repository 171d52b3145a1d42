import Foundation
import Testing

/// Suspects that page one team: a client span's key names its callee, so a network suspect is
/// one caller-to-callee edge and its milliseconds go to that callee alone.
struct PagingTheRightTeamTests {
  /// All fault minutes of 2023-01-30 as one batch, split at 1000 ms: TrainTicket's client spans
  /// are all named `HTTP GET` / `HTTP POST`, calling many services.
  @Test func everyNetworkSuspectIsOneEdgeToOneCallee() throws {
    let minutes = packageRoot.deletingLastPathComponent()
      .appendingPathComponent("shared/datasets/real/nezha/rca_data/2023-01-30/trace").path
    let run = try whyslow(["analyze", "--traces", minutes, "--slow-above", "1000", "--csv", "-"])
    #expect(run.status == 0, "\(run.standardError)")
    let lines = run.standardOutput.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    let header = try #require(lines.first)
    let column = { (name: String) in header.firstIndex(of: name)! }
    var networkRows = 0
    var perService: [String: Double] = [:]
    for row in lines.dropFirst() where row.count == header.count {
      if row[column("feature")] == "network_gap" {
        networkRows += 1
        // The key names the callee its gap is measured to: no gap to another callee hides in it.
        #expect(row[column("operation")].hasSuffix(" → " + row[column("peer_service")]), "\(row)")
        if row[column("level")] == "suspect" { #expect(row[column("suspect_service")] == row[column("peer_service")]) }
      }
      if row[column("level")] == "suspect", let millis = Double(row[column("contribution_ms")]), millis > 0 {
        perService[row[column("suspect_service")], default: 0] += millis
      }
    }
    #expect(networkRows > 10)
    // The table's by-service line (on standard error with --csv -) adds each edge to its callee.
    let line = try #require(run.standardError.split(separator: "\n").first { $0.hasPrefix("by service: ") })
    for entry in line.dropFirst(12).split(separator: ", ") {
      let parts = entry.split(separator: " ")
      let (service, millis) = (String(parts[0]), Double(parts[1]) ?? .nan)
      #expect(abs((perService[service] ?? 0) - millis) < 0.1, "\(service): \(millis) against \(perService[service] ?? 0)")
    }
  }

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
