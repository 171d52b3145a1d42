import WhyslowFeatures
import WhyslowStatistics

/// A terminal summary: the gap and how it splits, then the suspects in the one ranking
/// (services by total, suspects under them) with intervals, shares of the gap and of the slow
/// batch's variance, q-values and what explains each; significant ones marked.
public struct TableExporter: SuspectExporter {
  /// How many suspects to show (suspects with a quarter of the gap or more always show).
  public let limit: Int
  /// Show suspects that did not grow too.
  public let showAll: Bool
  /// Mark the answer, significant suspects and cautions with ANSI colour (for a terminal).
  public let colour: Bool

  public init(limit: Int, showAll: Bool = false, colour: Bool = false) {
    self.limit = limit
    self.showAll = showAll
    self.colour = colour
  }

  /// `text` in an ANSI style ("1" bold, "31" red, "33" yellow) when colour is on.
  private func styled(_ text: String, _ code: String) -> String {
    colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
  }

  public func render(_ analysis: LatencyAnalysis) -> String {
    var out = """
      fast: \(analysis.fastTraces) traces, mean \(decimal(analysis.fastMeanLatencyMillis, 1)) ms
      slow: \(analysis.slowTraces) traces, mean \(decimal(analysis.slowMeanLatencyMillis, 1)) ms
      gap:  \(decimal(analysis.gapMillis, 1)) ms\(gapInterval(analysis)) = \(decimal(analysis.withinEndpointGapMillis, 1)) \
      ms within endpoints + \(decimal(analysis.endpointMixMillis, 1)) ms endpoint mix

      """
    if analysis.endpointMix.count > 1 {
      for entry in analysis.endpointMix.prefix(limit) {
        out +=
          "      \(entry.endpoint): \(decimal(entry.fastShare * 100, 0))% of fast, "
          + "\(decimal(entry.slowShare * 100, 0))% of slow traces\n"
      }
      if analysis.endpointMix.count > limit {
        out += "      (\(analysis.endpointMix.count - limit) more endpoints)\n"
      }
    }
    for caveat in analysis.caveats { out += styled("caution:", "33") + " \(caveat)\n" }
    out += styled("answer: \(verdictSentence(analysis))", "1") + "\n"
    let level = decimal(analysis.falseDiscoveryRate, 2)
    let shown = Self.shown(analysis, limit: limit, showAll: showAll)
    guard !shown.isEmpty else { return out + "\nno suspects: no span's critical-path time grew\n" }
    out +=
      analysis.hasSignificantSuspect
      ? "\nsuspects by service (* significant: grew by more than \(decimal(analysis.minimumEffectMillis, 1)) ms, q < \(level)):\n"
      : "\nbest guesses by service (none grew significantly by more than \(decimal(analysis.minimumEffectMillis, 1)) ms at q < \(level)):\n"
    let header = ["rank", "on critical path", "95% interval", "share", "variance", "q", "", "suspect (explained by)"]
    let rows = shown.map { rank, suspect -> [String] in
      let parts = suspect.explanation.filter { abs($0.contribution.value) >= 0.1 * abs(suspect.contribution.value) }
        .prefix(3).map { finding -> String in
          let star = finding.isSignificant(at: analysis.falseDiscoveryRate) ? "*" : ""
          return "\(Self.describe(finding.column, in: suspect)) \(signedDecimal(finding.contribution.value, 1)) ms\(star)"
        }
      let reasons = parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
      return [
        String(rank), millis(suspect.contribution.value),
        suspect.contribution.low.isNaN
          ? "" : "[\(decimal(suspect.contribution.low, 1)), \(decimal(suspect.contribution.high, 1))]",
        analysis.isSignificantlySlower ? percent(suspect.share) : "–", percent(suspect.varianceShare),
        qText(suspect.contribution.qValue), suspect.isSignificant ? "*" : "",
        "[\(suspect.service)] \(suspect.name)\(reasons)",
      ]
    }
    out += alignedColumns([header] + rows, leftAligned: [header.count - 1])
    let hidden = analysis.suspects.count - shown.count
    if hidden > 0 {
      out += "(\(hidden) more suspects; --top N shows more, --all every one, --csv writes all)\n"
    }
    let services = analysis.services.prefix(5).map { "\($0.service) \(decimal($0.contributionMillis, 1)) ms" }
    if !services.isEmpty { out += "by service: " + services.joined(separator: ", ") + "\n" }
    let serviceShares = analysis.services.reduce(0) { $0 + $1.share }
    if serviceShares > 1.005 && analysis.isSignificantlySlower {
      out +=
        "(the services' growth adds up to \(decimal(serviceShares * 100, 0))% of the gap: other span keys shrank, "
        + "and the endpoint mix moved \(decimal(analysis.endpointMixMillis, 1)) ms)\n"
    }
    let attributes = analysis.attributeEffects.filter { showAll || $0.matters(at: analysis.falseDiscoveryRate) }
      .prefix(limit)
    if !attributes.isEmpty {
      out += "\nattribute values: share of fast and slow traces, self-time carried, slowdown with the value:\n"
      out += alignedColumns(
        [["fast", "slow", "q", "carries", "slowdown", "q", "attribute on span"]]
          + attributes.map {
            [
              percent($0.fastPrevalence, 0), percent($0.slowPrevalence, 0),
              qText($0.prevalenceQValue), signedDecimal($0.carriedMillis, 1) + " ms",
              signedDecimal($0.slowdownWithValueMillis, 1) + " ms", qText($0.slowdownQValue),
              "\($0.column.kind.name) on \($0.column.key)",
            ]
          }, leftAligned: [6])
    }
    return out
  }

  /// The suspects the table lists, with their rank in the one ranking: the first `limit` that
  /// grew, every one with a quarter of the gap or more, and with `showAll` every suspect.
  static func shown(_ analysis: LatencyAnalysis, limit: Int, showAll: Bool) -> [(rank: Int, suspect: Suspect)] {
    var grown = 0
    return analysis.suspects.enumerated().compactMap { index, suspect in
      if showAll { return (index + 1, suspect) }
      guard suspect.contribution.value > 0 else { return nil }
      grown += 1
      return grown <= limit || suspect.share >= 0.25 ? (index + 1, suspect) : nil
    }
  }

  /// A finding in words: "wait before inference inference-service-post", "network_gap to X".
  static func describe(_ column: FeatureColumn, in suspect: Suspect) -> String {
    switch column.kind {
    case .wait: return "wait before \(column.key)"
    case .networkGap: return "network_gap to \(column.peerService)"
    default: return column.key == suspect.key ? column.kind.name : "\(column.kind.name) of \(column.key)"
    }
  }

  /// " [low, high]" of the gap's 95% interval, or nothing when it has none.
  private func gapInterval(_ analysis: LatencyAnalysis) -> String {
    analysis.gap.low.isNaN ? "" : " [\(decimal(analysis.gap.low, 1)), \(decimal(analysis.gap.high, 1))]"
  }

  private func qText(_ q: Double) -> String {
    q.isNaN ? "" : q < 0.001 ? "<0.001" : decimal(q, 3)
  }
}
