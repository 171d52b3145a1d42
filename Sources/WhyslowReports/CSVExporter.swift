import WhyslowStatistics

/// Ranked findings as CSV (RFC 4180): a header row, then one row per tested finding, largest
/// contribution first.
public struct CSVExporter: SuspectExporter {
  /// The header, in its fixed order.
  public static let header = [
    "rank", "service", "operation", "feature", "peer_service", "contribution_ms", "share",
    "ci_low_ms", "ci_high_ms", "p_value", "q_value", "fast_mean", "slow_mean", "fast_traces",
    "slow_traces", "example_slow_trace",
  ]

  public init() {}

  public func render(_ analysis: LatencyAnalysis) -> String {
    var lines = [Self.header.joined(separator: ",")]
    for (index, finding) in analysis.findings.enumerated() {
      let fields = [
        String(index + 1), finding.column.key.service, finding.column.key.qualifiedOperation,
        finding.column.kind.name, finding.column.peerService,
        decimal(finding.contributionMillis, 3), decimal(finding.share, 4),
        decimal(finding.ciLowMillis, 3), decimal(finding.ciHighMillis, 3),
        scientific(finding.pValue), scientific(finding.qValue), decimal(finding.fastMean, 3),
        decimal(finding.slowMean, 3), String(analysis.fastTraces), String(analysis.slowTraces),
        finding.exampleSlowTraceID,
      ]
      lines.append(fields.map(Self.quoted).joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// A field quoted when it holds a comma, a quote or a line break; quotes are doubled.
  static func quoted(_ field: String) -> String {
    guard field.contains(where: { ",\"\n\r".contains($0) }) else { return field }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
