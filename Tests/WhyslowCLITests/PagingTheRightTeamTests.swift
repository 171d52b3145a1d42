import Foundation
import Testing

/// Suspects that page one team: a client operation that calls several services is split by
/// callee, so a network suspect is one caller-to-callee edge and its milliseconds go to that
/// callee alone.
struct PagingTheRightTeamTests {
  /// All fault minutes of 2023-01-30 as one batch, split at 1000 ms: TrainTicket's client spans
  /// are all named `HTTP GET` / `HTTP POST`, and ts-preserve-other-service's `HTTP GET` calls
  /// ts-security-service, ts-contacts-service and more.
  @Test func everyNetworkSuspectIsOneEdgeToOneCallee() throws {
    let minutes = packageRoot.deletingLastPathComponent()
      .appendingPathComponent("shared/datasets/real/nezha/rca_data/2023-01-30/trace").path
    let run = try whyslow(["analyze", "--traces", minutes, "--slow-above", "1000", "--csv", "-"])
    #expect(run.status == 0, "\(run.standardError)")
    let lines = run.standardOutput.split(separator: "\n").map {
      $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
    let header = try #require(lines.first)
    let column = { (name: String) in header.firstIndex(of: name)! }
    var networkSuspects = 0
    var perService: [String: Double] = [:]
    var gapCallees: [String: Set<String>] = [:]  // suspect rank -> callees of its explanation's gaps
    var suspectCallee: [String: String] = [:]
    var preserveOtherCallees: Set<String> = []
    for row in lines.dropFirst() where row.count == header.count {
      let rank = row[column("suspect_rank")]
      if row[column("level")] == "suspect" {
        if row[column("feature")] == "network_gap" {
          networkSuspects += 1
          suspectCallee[rank] = row[column("peer_service")]
          #expect(row[column("suspect_service")] == row[column("peer_service")], "\(row)")
          if row[column("service")] == "ts-preserve-other-service" && row[column("operation")] == "HTTP GET" {
            preserveOtherCallees.insert(row[column("peer_service")])
          }
        }
        if let millis = Double(row[column("contribution_ms")]), millis > 0 {
          perService[row[column("suspect_service")], default: 0] += millis
        }
      } else if row[column("feature")] == "network_gap" {
        gapCallees[rank, default: []].insert(row[column("peer_service")])
      }
    }
    #expect(networkSuspects > 10)
    // The one client operation of the issue is now one suspect per callee it calls.
    #expect(preserveOtherCallees.isSuperset(of: ["ts-security-service", "ts-contacts-service"]), "\(preserveOtherCallees)")
    for (rank, callees) in gapCallees {
      // No suspect's explanation holds network gaps to two callees, and a network suspect's
      // gap is to its own callee.
      #expect(callees.count == 1, "suspect \(rank): network gaps to \(callees.sorted())")
      if let callee = suspectCallee[rank] { #expect(callees == [callee], "suspect \(rank): \(callees) for \(callee)") }
    }
    // The table's by-service line (on standard error with --csv -) adds each edge to its callee.
    let line = try #require(run.standardError.split(separator: "\n").first { $0.hasPrefix("by service: ") })
    for entry in line.dropFirst(12).split(separator: ", ") {
      let parts = entry.split(separator: " ")
      let (service, millis) = (String(parts[0]), Double(parts[1]) ?? .nan)
      #expect(abs((perService[service] ?? 0) - millis) < 0.1, "\(service): \(millis) against \(perService[service] ?? 0)")
    }
  }
}
