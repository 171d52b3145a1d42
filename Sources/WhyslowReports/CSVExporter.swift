import WhyslowStatistics

/// The ranking as CSV (RFC 4180): a header row, then for each suspect in the one ranking
/// (by contribution, largest first) its row (`level` = `suspect`, feature
/// `critical_time`, or `network_gap` with the callee in `peer_service`), followed, for
/// explained suspects, by the findings that explain it (`level` = `explanation`) and the
/// remainder they leave (feature `remainder`).
public struct CSVExporter: SuspectExporter {
  /// The header, in its fixed order (the first sixteen columns as in version 1; the rest
  /// appended).
  public static let header = [
    "rank", "service", "operation", "feature", "peer_service", "contribution_ms", "share",
    "ci_low_ms", "ci_high_ms", "p_value", "q_value", "fast_mean", "slow_mean", "fast_traces",
    "slow_traces", "example_slow_trace", "suspect_rank", "level", "suspect_service", "variance_share",
  ]

  public init() {}

  public func render(_ analysis: LatencyAnalysis) -> String {
    var lines = [Self.header.joined(separator: ",")]
    func row(
      _ suspectRank: Int, _ suspect: Suspect, level: String, feature: String, peer: String,
      service: String, operation: String, estimate: Estimate?, value: Double, share: Double,
      fastMean: Double, slowMean: Double, example: String, varianceShare: Double
    ) {
      let fields = [
        String(lines.count), Self.neutralized(service), Self.neutralized(operation), Self.neutralized(feature),
        Self.neutralized(peer), decimal(value, 3), decimal(share, 4),
        decimal(estimate?.low ?? .nan, 3), decimal(estimate?.high ?? .nan, 3),
        scientific(estimate?.pValue ?? .nan), scientific(estimate?.qValue ?? .nan),
        decimal(fastMean, 3), decimal(slowMean, 3), String(analysis.fastTraces), String(analysis.slowTraces),
        Self.neutralized(example), String(suspectRank), level, Self.neutralized(suspect.service),
        decimal(varianceShare, 4),
      ]
      lines.append(fields.map(Self.quoted).joined(separator: ","))
    }
    for (index, suspect) in analysis.suspects.enumerated() {
      let rank = index + 1
      row(
        rank, suspect, level: "suspect", feature: suspect.callee == nil ? "critical_time" : "network_gap",
        peer: suspect.callee ?? suspect.calls ?? "", service: suspect.key.service, operation: suspect.key.qualifiedOperation,
        estimate: suspect.contribution, value: suspect.contribution.value, share: suspect.share,
        fastMean: suspect.fastMean, slowMean: suspect.slowMean, example: suspect.exampleSlowTraceID,
        varianceShare: suspect.varianceShare)
      for finding in suspect.explanation {
        row(
          rank, suspect, level: "explanation", feature: finding.column.kind.name, peer: finding.column.peerService,
          service: finding.column.key.service, operation: finding.column.key.qualifiedOperation,
          estimate: finding.contribution, value: finding.contribution.value, share: finding.share,
          fastMean: finding.fastMean, slowMean: finding.slowMean, example: finding.exampleSlowTraceID,
          varianceShare: .nan)
      }
      guard !suspect.explanation.isEmpty else { continue }
      row(
        rank, suspect, level: "explanation", feature: "remainder", peer: "", service: suspect.key.service,
        operation: suspect.key.qualifiedOperation, estimate: nil, value: suspect.remainderMillis,
        share: suspect.remainderMillis / analysis.sharedGapMillis, fastMean: .nan, slowMean: .nan, example: "",
        varianceShare: .nan)
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// A text field a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a
  /// tab or a carriage return, and is not a plain number) with a `'` in front, so a span name
  /// chosen by anyone stays text.
  static func neutralized(_ field: String) -> String {
    guard let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(field) == nil
    else { return field }
    return "'" + field
  }

  /// A field quoted when it holds a comma, a quote or a line break; quotes are doubled.
  static func quoted(_ field: String) -> String {
    guard field.contains(where: { ",\"\n\r".contains($0) }) else { return field }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
