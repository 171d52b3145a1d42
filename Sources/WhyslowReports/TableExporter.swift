import WhyslowStatistics

/// A terminal summary: the gap and how it splits, then the suspects with their intervals and
/// q-values: the significant ones, or every one (`showAll`), or, when none is significant, the
/// best guesses labelled as such.
public struct TableExporter: SuspectExporter {
  /// How many suspects to show.
  public let limit: Int
  /// Show suspects that are not significant too.
  public let showAll: Bool

  public init(limit: Int, showAll: Bool = false) {
    self.limit = limit
    self.showAll = showAll
  }

  public func render(_ analysis: LatencyAnalysis) -> String {
    var out = """
      fast: \(analysis.fastTraces) traces, mean \(decimal(analysis.fastMeanLatencyMillis, 1)) ms
      slow: \(analysis.slowTraces) traces, mean \(decimal(analysis.slowMeanLatencyMillis, 1)) ms
      gap:  \(decimal(analysis.gapMillis, 1)) ms = \(decimal(analysis.withinEndpointGapMillis, 1)) ms \
      within endpoints + \(decimal(analysis.endpointMixMillis, 1)) ms endpoint mix

      """
    if analysis.endpointMix.count > 1 {
      for entry in analysis.endpointMix.prefix(limit) {
        out +=
          "      \(entry.endpoint): \(decimal(entry.fastShare * 100, 0))% of fast, "
          + "\(decimal(entry.slowShare * 100, 0))% of slow traces\n"
      }
    }
    for caveat in analysis.caveats { out += "caution: \(caveat)\n" }
    let level = decimal(analysis.falseDiscoveryRate, 2)
    let listed =
      showAll || !analysis.hasSignificantSuspect
      ? analysis.suspects : analysis.suspects.filter { $0.isSignificant }
    let shown = listed.prefix(limit)
    guard !shown.isEmpty else { return out + "\nno findings: no feature varies across traces\n" }
    out +=
      analysis.hasSignificantSuspect
      ? "\nsuspects (* significant: q < \(level)):\n" : "\nbest guesses (none significant at q < \(level)):\n"
    let header = ["rank", "on critical path", "95% interval", "share", "q", "", "suspect (significant findings)"]
    let rows = shown.enumerated().map { index, suspect -> [String] in
      let evidence = suspect.findings.filter { $0.isSignificant(at: analysis.falseDiscoveryRate) }
        .prefix(3).map { "\($0.column.kind.name) +\(decimal($0.contributionMillis, 1)) ms" }
        .joined(separator: ", ")
      return [
        String(index + 1), decimal(suspect.contributionMillis, 1) + " ms",
        suspect.ciLowMillis.isNaN ? "" : "[\(decimal(suspect.ciLowMillis, 1)), \(decimal(suspect.ciHighMillis, 1))]",
        decimal(suspect.share * 100, 1) + "%", qText(suspect.qValue),
        suspect.isSignificant ? "*" : "", suspect.name + (evidence.isEmpty ? "" : " (\(evidence))"),
      ]
    }
    out += aligned([header] + rows)
    if listed.count > shown.count {
      out += "(\(listed.count - shown.count) more; --top N shows more, --csv writes every finding)\n"
    }
    if listed.count < analysis.suspects.count {
      out += "(\(analysis.suspects.count - listed.count) suspects not significant; --all shows them)\n"
    }
    let services = analysis.services.prefix(5).map { "\($0.service) \(decimal($0.contributionMillis, 1)) ms" }
    if !services.isEmpty { out += "by service: " + services.joined(separator: ", ") + "\n" }
    out +=
      "the \(analysis.findings.count) tested findings account for "
      + "\(decimal(analysis.withinEndpointGapMillis - analysis.unexplainedMillis, 1)) ms of the "
      + "within-endpoint gap; unexplained: \(decimal(analysis.unexplainedMillis, 1)) ms\n"
    let attributes = analysis.attributeEffects.filter { showAll || $0.matters(at: analysis.falseDiscoveryRate) }
      .prefix(limit)
    if !attributes.isEmpty {
      out += "\nattribute values: share of fast and slow traces, self-time carried, slowdown with the value:\n"
      out += aligned(
        [["fast", "slow", "q", "carries", "slowdown", "q", "attribute on span"]]
          + attributes.map {
            [
              decimal($0.fastPrevalence * 100, 0) + "%", decimal($0.slowPrevalence * 100, 0) + "%",
              qText($0.prevalenceQValue), signedDecimal($0.carriedMillis, 1) + " ms", signedDecimal($0.slowdownWithValueMillis, 1) + " ms",
              qText($0.slowdownQValue), "\($0.column.kind.name) on \($0.column.key)",
            ]
          })
    }
    return out
  }

  private func qText(_ q: Double) -> String {
    q.isNaN ? "" : q < 0.001 ? "<0.001" : decimal(q, 3)
  }

  /// Rows padded to aligned columns: all but the last right-aligned.
  private func aligned(_ rows: [[String]]) -> String {
    alignedColumns(rows, leftAligned: [(rows.first?.count ?? 1) - 1])
  }
}
