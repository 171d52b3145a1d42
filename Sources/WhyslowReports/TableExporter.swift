import WhyslowFeatures
import WhyslowStatistics

/// The terminal answer, read top-down as an SRE reads it: the answer first, then the gap and
/// how it splits, the cautions, the suspects largest first (growth, interval, shares, q, what
/// explains each), the services to page, work that grew off the critical path, a typical slow
/// trace to open per top suspect, and a legend of the words used.
public struct TableExporter: SuspectExporter {
  /// How many suspects to show: the `limit` that grew most.
  public let limit: Int
  /// Show every suspect, also those that did not grow.
  public let showAll: Bool
  /// Mark the answer, significant suspects and cautions with ANSI colour (for a terminal).
  public let colour: Bool
  /// A trace viewer URL with `{id}`, to print trace links instead of bare ids.
  public let traceURL: String?
  /// The question the analysis answers, printed under the answer (how the batches were chosen).
  public let question: String?
  /// Cautions about how the batches were chosen (a stale baseline), before the analysis's own.
  public let cautions: [String]

  public init(
    limit: Int, showAll: Bool = false, colour: Bool = false, traceURL: String? = nil, question: String? = nil,
    cautions: [String] = []
  ) {
    self.cautions = cautions
    self.limit = limit
    self.showAll = showAll
    self.colour = colour
    self.traceURL = traceURL
    self.question = question
  }

  /// `text` in an ANSI style ("1" bold, "31" red, "33" yellow) when colour is on.
  private func styled(_ text: String, _ code: String) -> String {
    colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
  }

  public func render(_ analysis: LatencyAnalysis) -> String {
    var out = styled("answer: \(verdictSentence(analysis))", "1") + "\n"
    if let question { out += "question: \(question)\n" }
    out +=
      "gap:    \(decimal(analysis.gapMillis, 1)) ms\(interval(analysis.gap)) between mean latencies: fast "
      + "\(decimal(analysis.fastMeanLatencyMillis, 1)) ms (\(analysis.fastTraces) traces), slow "
      + "\(decimal(analysis.slowMeanLatencyMillis, 1)) ms (\(analysis.slowTraces) traces)\n"
      + "        = \(decimal(analysis.withinEndpointGapMillis, 1)) ms\(interval(analysis.withinEndpointGap)) within endpoints "
      + "\(analysis.endpointMixMillis < 0 ? "−" : "+") \(decimal(abs(analysis.endpointMixMillis), 1)) ms endpoint mix\n"
    if analysis.endpointMix.count > 1 {
      for entry in analysis.endpointMix.prefix(limit) {
        out +=
          "        \(entry.endpoint): \(decimal(entry.fastShare * 100, 0))% of fast, "
          + "\(decimal(entry.slowShare * 100, 0))% of slow traces\n"
      }
      if analysis.endpointMix.count > limit {
        out += "        (\(analysis.endpointMix.count - limit) more endpoints)\n"
      }
    }
    for caveat in cautions + analysis.caveats { out += styled("caution:", "33") + " \(caveat)\n" }
    let level = decimal(analysis.falseDiscoveryRate, 2)
    let shown = Self.shown(analysis, limit: limit, showAll: showAll)
    guard !shown.isEmpty else { return out + "\nno suspects: no span's critical-path time grew\n" }
    let effect = decimal(analysis.minimumEffectMillis, 1)
    out +=
      analysis.hasSignificantSuspect
      ? "\nsuspects, largest first (* significant: grew by more than \(effect) ms, q < \(level)):\n"
      : "\nbest guesses, largest first (none grew significantly by more than \(effect) ms at q < \(level)):\n"
    let header = ["rank", "growth", "95% interval", "share", "variance", "q", "", "[service] suspect (explained by)"]
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
        "(the services' growth adds up to \(decimal(serviceShares * 100, 0))% of the "
        + "\(analysis.isSlowerOnlyWithinEndpoints ? "within-endpoint " : "")gap: other span keys shrank, "
        + "and the endpoint mix moved \(decimal(analysis.endpointMixMillis, 1)) ms)\n"
    }
    if let offPath = offPathGrowthPhrase(analysis) {
      out += "grew off the critical path (does not slow requests): " + offPath + "\n"
    }
    // A typical slow trace for each of the first three suspects worth opening (5% of the gap
    // or more; the first always).
    let open = shown.enumerated().filter { index, row in
      row.suspect.contribution.value > 0 && (index == 0 || row.suspect.share >= 0.05)
    }.prefix(3).map { "  #\($0.element.rank): \(traceLink($0.element.suspect.exampleSlowTraceID))" }
    if !open.isEmpty { out += "a typical slow trace to open:\n" + open.joined(separator: "\n") + "\n" }
    out += Self.legend
    // Each suspect's attributes where a value grew significantly (every one with --all).
    let starred = Set(analysis.attributeBreakdown.filter(\.isSignificant).map { "\($0.suspect)\u{0}\($0.attribute)" })
    let breakdown = analysis.attributeBreakdown.filter { showAll || starred.contains("\($0.suspect)\u{0}\($0.attribute)") }
    if !breakdown.isEmpty {
      out +=
        "\nby attribute value, among the traces that hold the suspect: share of fast and slow traces, growth "
        + "with the value, and how much more than with the attribute's other values:\n"
      var rows = [["fast", "slow", "growth", "more", "95% interval", "q", "", "suspect: attribute=value"]]
      for row in breakdown {
        rows.append([
          percent(row.fastShare, 0), percent(row.slowShare, 0),
          row.growthMillis.isNaN ? "–" : signedDecimal(row.growthMillis, 1) + " ms",
          signedDecimal(row.effect.value, 1) + " ms",
          row.effect.low.isNaN ? "–" : "[\(decimal(row.effect.low, 1)), \(decimal(row.effect.high, 1))]",
          qText(row.effect.qValue), row.isSignificant ? "*" : "",
          "\(row.suspect): \(row.attribute)=\(row.value)\(row.isNew ? " (new: against the slow traces without it)" : "")",
        ])
      }
      out += alignedColumns(rows, leftAligned: [6, 7])
    }
    return out
  }

  /// The words of the table, under it (and in `analyze --help`).
  public static let legend = """
    legend: growth = added time on the critical path per request (mean slow − mean fast, within endpoints);
      share = of the gap; variance = share of the slow batch's latency variance; q = false discovery rate;
      self_time = time in the span itself, outside its children; wait before X = time from the parent's
      start (or the end of the sibling before) to the start of X: queueing before the call; network to
      X / network_gap = client time not covered by X's server span: the network, client-side queueing,
      connection pools and sidecars.

    """

  /// A trace id, or its link when a trace viewer URL was given.
  private func traceLink(_ id: String) -> String {
    traceURL.map { $0.replacingOccurrences(of: "{id}", with: id) } ?? id
  }

  /// The suspects the table lists, with their rank in the one ranking: the `limit` largest
  /// that grew (the ranking is by growth, so the first `limit` of it), every one with `showAll`.
  static func shown(_ analysis: LatencyAnalysis, limit: Int, showAll: Bool) -> [(rank: Int, suspect: Suspect)] {
    let ranked = analysis.suspects.enumerated().map { (rank: $0.offset + 1, suspect: $0.element) }
    return showAll ? ranked : Array(ranked.prefix { $0.suspect.contribution.value > 0 }.prefix(limit))
  }

  /// A finding in words: "wait before inference inference-service-post", "network_gap to X".
  static func describe(_ column: FeatureColumn, in suspect: Suspect) -> String {
    switch column.kind {
    case .wait: return "wait before \(column.key)"
    case .networkGap: return "network_gap to \(column.peerService)"
    default: return column.key == suspect.key ? column.kind.name : "\(column.kind.name) of \(column.key)"
    }
  }

  /// " [low, high]" of an estimate's 95% interval, or nothing when it has none.
  private func interval(_ estimate: Estimate) -> String {
    estimate.low.isNaN ? "" : " [\(decimal(estimate.low, 1)), \(decimal(estimate.high, 1))]"
  }

  private func qText(_ q: Double) -> String {
    q.isNaN ? "" : q < 0.001 ? "<0.001" : decimal(q, 3)
  }
}
