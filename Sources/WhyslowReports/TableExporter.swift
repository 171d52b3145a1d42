import WhyslowStatistics

/// A terminal summary: the gap, then the top suspects as an aligned table.
public struct TableExporter: SuspectExporter {
  /// How many findings to show.
  public let limit: Int

  public init(limit: Int) {
    self.limit = limit
  }

  public func render(_ analysis: LatencyAnalysis) -> String {
    var out = """
      fast: \(analysis.fastTraces) traces, mean \(decimal(analysis.fastMeanLatencyMillis, 1)) ms
      slow: \(analysis.slowTraces) traces, mean \(decimal(analysis.slowMeanLatencyMillis, 1)) ms
      gap:  \(decimal(analysis.gapMillis, 1)) ms; unexplained by the findings: \
      \(decimal(analysis.unexplainedMillis, 1)) ms

      """
    for caveat in analysis.caveats { out += "caution: \(caveat)\n" }
    let shown = analysis.findings.prefix(limit)
    guard !shown.isEmpty else { return out + "\nno findings: no feature varies across traces\n" }
    let header = ["rank", "contribution", "share", "fast mean", "slow mean", "feature", "span"]
    let rows = shown.enumerated().map { index, finding in
      [
        String(index + 1), decimal(finding.contributionMillis, 1) + " ms",
        decimal(finding.share * 100, 1) + "%", decimal(finding.fastMean, 1),
        decimal(finding.slowMean, 1), finding.column.kind.name,
        finding.column.key.description
          + (finding.column.peerService.isEmpty ? "" : " → \(finding.column.peerService)"),
      ]
    }
    let widths = header.indices.map { column in
      ([header] + rows).map { $0[column].count }.max() ?? 0
    }
    out += "\n"
    for row in [header] + rows {
      // Numbers right-aligned, the last two (words) left-aligned.
      let cells = row.enumerated().map { column, cell in
        let padding = String(repeating: " ", count: widths[column] - cell.count)
        return column < row.count - 2 ? padding + cell : cell + padding
      }
      out += cells.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
    }
    if analysis.findings.count > shown.count {
      out += "(\(analysis.findings.count - shown.count) more findings; --top N shows more)\n"
    }
    return out
  }
}

extension String {
  fileprivate func trimmingTrailingSpaces() -> String {
    var text = self
    while text.last == " " { text.removeLast() }
    return text
  }
}
