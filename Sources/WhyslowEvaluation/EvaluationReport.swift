import Foundation
import WhyslowReports

/// The evaluation table: per cause kind, how often each method named the culprit first (AC@1)
/// and in its top 3 (AC@3), how often the suspect naming the culprit is starred, false alarms
/// where there is no cause, and whyslow's runtime.
public struct EvaluationReport {
  public let title: String
  public let outcomes: [CaseOutcome]

  public init(title: String, outcomes: [CaseOutcome]) {
    self.title = title
    self.outcomes = outcomes
  }

  /// The table as GitHub Markdown (`markdown`) or aligned text.
  public func render(markdown: Bool) -> String {
    let header = [
      "cause", "cases", "whyslow AC@1", "AC@3", "by duration AC@1", "AC@3", "by self-time AC@1",
      "AC@3", "culprit starred", "false alarms", "runtime",
    ]
    var groups: [String] = []
    for outcome in outcomes where !groups.contains(outcome.group) { groups.append(outcome.group) }
    var rows = groups.map { group in row(group, outcomes.filter { $0.group == group }) }
    let withCause = outcomes.filter(\.hasCause)
    if !withCause.isEmpty { rows.append(row("all with a cause", withCause)) }
    let failures = outcomes.compactMap(\.failure)
    var out = markdown ? "### \(title)\n\n" : "\(title)\n"
    out += Self.table(header: header, rows: rows, markdown: markdown)
    for failure in failures { out += (markdown ? "\n- not analysed: " : "not analysed: ") + failure + "\n" }
    let misses = outcomes.filter { $0.hasCause && ($0.whyslow.rank ?? .max) > $0.causeCount }
    if !misses.isEmpty {
      out += markdown ? "\nwhyslow's misses (rank of the culprit):\n\n" : "misses (rank of the culprit):\n"
      for miss in misses {
        out += (markdown ? "- " : "  ") + "\(miss.label): \(miss.whyslow.rank.map(String.init) ?? "not ranked")\n"
      }
    }
    let unstarred = outcomes.filter { $0.hasCause && $0.culpritStarred != true }
    if !unstarred.isEmpty {
      out += markdown ? "\nculprits not starred:\n\n" : "culprits not starred:\n"
      for case_ in unstarred { out += (markdown ? "- " : "  ") + case_.label + "\n" }
    }
    let alarms = outcomes.filter { !$0.hasCause && $0.significant }
    for alarm in alarms { out += (markdown ? "- false alarm: " : "  false alarm: ") + alarm.label + "\n" }
    return out
  }

  /// `rows` under `header`: a GitHub Markdown table, or aligned text (first column left).
  static func table(header: [String], rows: [[String]], markdown: Bool) -> String {
    guard markdown else { return alignedColumns([header] + rows, leftAligned: [0]) }
    return "| " + header.joined(separator: " | ") + " |\n" + "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
      + rows.map { "| " + $0.joined(separator: " | ") + " |\n" }.joined()
  }

  private func row(_ name: String, _ cases: [CaseOutcome]) -> [String] {
    let caused = cases.filter(\.hasCause)
    let controls = cases.filter { !$0.hasCause }
    func rate(_ outcome: (CaseOutcome) -> MethodOutcome, within k: Int) -> String {
      guard !caused.isEmpty else { return "–" }
      // With several causes, all must be named within max(k, causes) places.
      let hits = caused.filter { (outcome($0).rank ?? .max) <= max(k, $0.causeCount) }.count
      return "\(percent(hits, caused.count))"
    }
    let seconds = cases.map(\.seconds).reduce(0, +) / Double(max(cases.count, 1))
    return [
      name, String(cases.count), rate(\.whyslow, within: 1), rate(\.whyslow, within: 3),
      rate(\.byDuration, within: 1), rate(\.byDuration, within: 3), rate(\.bySelfTime, within: 1),
      rate(\.bySelfTime, within: 3),
      caused.isEmpty ? "–" : "\(caused.filter { $0.culpritStarred == true }.count)/\(caused.count)",
      controls.isEmpty ? "–" : "\(controls.filter(\.significant).count)/\(controls.count)",
      String(format: "%.2f s", seconds),
    ]
  }

  private func percent(_ hits: Int, _ total: Int) -> String {
    "\(Int((100 * Double(hits) / Double(total)).rounded()))%"
  }
}
