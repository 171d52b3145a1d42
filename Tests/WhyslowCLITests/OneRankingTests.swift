import Foundation
import Testing

private let nezha = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("shared/datasets/real/nezha")

/// RFC 4180 records: fields split at commas outside quotes, doubled quotes unescaped.
private func records(_ document: String) -> [[String]] {
  var records: [[String]] = []
  var record: [String] = []
  var field = ""
  var quoted = false
  var previous: Character = " "
  for character in document {
    switch (quoted, character) {
    case (true, "\""): quoted = false
    case (true, _): field.append(character)
    case (false, "\""):
      if previous == "\"" { field.append("\"") }
      quoted = true
    case (false, ","): record.append(field); field = ""
    case (false, "\n"): records.append(record + [field]); (record, field) = ([], "")
    default: field.append(character)
    }
    previous = character
  }
  return records
}

/// The suspects each output names, in its order, as (rank, name, service).
private struct Orders {
  var table: [(rank: Int, name: String, service: String)] = []
  var csv: [(rank: Int, name: String, service: String)] = []
  var json: [(rank: Int, name: String, service: String)] = []
  var html: [(rank: Int, name: String, service: String)] = []
  var serviceLine: [String] = []
  /// The milliseconds of the `by service:` line, of the table's growth column, and of the CSV's
  /// suspect rows, in their order.
  var serviceMillis: [Double] = []
  var tableMillis: [Double] = []
  var csvMillis: [Double] = []
  /// The first line of standard output.
  var firstLine = ""
}

/// Runs `analyze` once with every exporter and reads each output's ranking back.
private func orders(_ arguments: [String]) throws -> Orders {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-order-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  let (csvPath, jsonPath, htmlPath) = (
    folder.appendingPathComponent("s.csv"), folder.appendingPathComponent("s.json"), folder.appendingPathComponent("s.html")
  )
  let run = try whyslow(
    ["analyze"] + arguments + ["--csv", csvPath.path, "--json", jsonPath.path, "--html", htmlPath.path])
  #expect(run.status == 0, "\(run.standardError)")
  var result = Orders()
  result.firstLine = String(run.standardOutput.prefix { $0 != "\n" })
  // Table rows: "  rank  growth ms  ...  [service] name (explained by)".
  for line in run.standardOutput.split(separator: "\n") {
    if line.hasPrefix("by service: ") {
      let entries = line.dropFirst(12).split(separator: ", ").map { $0.split(separator: " ") }
      result.serviceLine = entries.map { String($0[0]) }
      result.serviceMillis = entries.map { Double($0[1]) ?? .nan }
    }
    // The last column, "[service] name (explained by)", follows two spaces.
    let last = (line.components(separatedBy: "  ").last ?? "").trimmingCharacters(in: .whitespaces)
    guard let rank = Int(line.split(separator: " ").first ?? ""), last.hasPrefix("["),
      let close = last.firstIndex(of: "]")
    else { continue }
    var name = String(last[last.index(close, offsetBy: 2)...])
    if let reasons = name.range(of: " (") { name = String(name[..<reasons.lowerBound]) }
    result.table.append((rank, name, String(last[last.index(after: last.startIndex)..<close])))
    result.tableMillis.append(Double(line.split(separator: " ")[1]) ?? .nan)
  }
  let rows = records(try String(contentsOf: csvPath, encoding: .utf8))
  let header = rows[0]
  let column = { (name: String) in header.firstIndex(of: name) ?? 0 }
  for row in rows.dropFirst() where row[column("level")] == "suspect" {
    let (key, peer) = ("\(row[column("service")]) \(row[column("operation")])", row[column("peer_service")])
    // A network suspect, a key's calls to one callee, or a whole key.
    let name =
      row[column("feature")] == "network_gap" ? "network to \(peer) from \(key)" : peer.isEmpty ? key : "\(key) → \(peer)"
    result.csv.append((Int(row[column("suspect_rank")]) ?? 0, name, row[column("suspect_service")]))
    result.csvMillis.append(Double(row[column("contribution_ms")]) ?? .nan)
  }
  let object = try #require(
    try JSONSerialization.jsonObject(with: Data(contentsOf: jsonPath)) as? [String: Any])
  for record in try #require(object["records"] as? [[String: Any]]) where record["type"] as? String == "suspect" {
    result.json.append(
      ((record["rank"] as? Int) ?? 0, (record["name"] as? String) ?? "", (record["service"] as? String) ?? ""))
  }
  // HTML suspect rows: <tr><td>rank</td><td>service</td><td>name</td>...
  let html = try String(contentsOf: htmlPath, encoding: .utf8)
  let suspectsTable = try #require(html.range(of: "<caption>Suspects, largest first"))
  for line in html[suspectsTable.upperBound...].split(separator: "\n") {
    guard line.hasPrefix("<tr><td>") else {
      if line.hasPrefix("</table>") { break }
      continue
    }
    let cells = line.dropFirst(8).components(separatedBy: "</td><td>").map {
      $0.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }
    result.html.append((Int(cells[0]) ?? 0, cells[2], cells[1]))
  }
  return result
}

/// Every output (terminal table, CSV, JSON, HTML) must present the same suspects in the same
/// order, largest first, the answer on the first line, and the `by service:` line sorted.
struct OneRankingTests {
  private func expectOneRanking(_ found: Orders) {
    // The HTML report lists the 30 largest; the CSV and JSON every one.
    #expect(!found.table.isEmpty && found.csv.count == found.json.count && found.html.count == min(found.csv.count, 30))
    let key = { (entry: (rank: Int, name: String, service: String)) in "\(entry.rank) \(entry.name) [\(entry.service)]" }
    for (csv, json) in zip(found.csv.map(key), found.json.map(key)) where csv != json {
      Issue.record("CSV \(csv) but JSON \(json)")
      break
    }
    #expect(found.csv.map(key) == found.json.map(key))
    #expect(Array(found.csv.map(key).prefix(found.html.count)) == found.html.map(key))
    #expect(found.csv.map(\.rank) == Array(1...found.csv.count))
    let byRank = Dictionary(uniqueKeysWithValues: found.csv.map { ($0.rank, key($0)) })
    for row in found.table { #expect(byRank[row.rank] == key(row)) }
    // Read top-down, the milliseconds never increase: in the table, the CSV and the services.
    for millis in [found.tableMillis, found.csvMillis, found.serviceMillis] {
      #expect(!millis.isEmpty && zip(millis, millis.dropFirst()).allSatisfy { $0 >= $1 }, "\(millis)")
    }
    #expect(found.firstLine.hasPrefix("answer: "))
  }

  @Test func theDemoTellsOneStoryEverywhere() throws {
    let found = try orders(["--fast", "Datasets/demo/fast", "--slow", "Datasets/demo/slow"])
    expectOneRanking(found)
    #expect(found.csv.first?.name == "payment-db SELECT payments")
  }

  @Test(arguments: [
    ("11_39", ["11_51", "11_52", "11_53"], "ts-contacts-service"),
    ("11_39", ["12_06", "12_07", "12_08"], "ts-basic-service"),
  ])
  func aRealNezhaCaseTellsOneStoryEverywhere(fast: String, slow: [String], culprit: String) throws {
    let folder = nezha.appendingPathComponent("rca_data/2023-01-30/trace")
    let found = try orders(
      ["--fast", nezha.appendingPathComponent("construct_data/2023-01-30/trace/\(fast)_trace.csv").path, "--slow"]
        + slow.map { folder.appendingPathComponent("\($0)_trace.csv").path })
    expectOneRanking(found)
    #expect(found.serviceLine.first == culprit && found.csv.first?.service == culprit)
  }
}
