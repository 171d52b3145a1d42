import Foundation
import WhyslowFeatures
import WhyslowStatistics

/// What the HTML report shows beyond the analysis: trace timelines, what reading repaired,
/// and where trace ids link to.
public struct ReportContext: Sendable {
  /// Timelines to draw (a typical fast and a typical slow trace that contain the top suspect).
  public var timelines: [(label: String, timeline: TraceTimeline)]
  /// One line per batch of what was read and repaired.
  public var dataQuality: [(batch: String, summary: String)]
  /// A URL template with `{id}` for the trace id (`http://jaeger:16686/trace/{id}`), or nil.
  public var traceURL: String?

  public init(
    timelines: [(label: String, timeline: TraceTimeline)] = [], dataQuality: [(batch: String, summary: String)] = [],
    traceURL: String? = nil
  ) {
    self.timelines = timelines
    self.dataQuality = dataQuality
    self.traceURL = traceURL
  }
}

/// The analysis as one self-contained HTML page (inline CSS and SVG, no scripts, no network,
/// no external fonts), in the one ranking every output uses: the answer in one sentence, a
/// waterfall of the gap, the services as bars, each top suspect's fast and slow distributions
/// with its explaining features, timelines of a typical fast and slow trace that contain the top
/// suspect (whole: uninteresting subtrees collapsed, the suspect highlighted), then the tables:
/// suspects, endpoints, attribute values and data quality.
public struct HTMLExporter: SuspectExporter {
  public let context: ReportContext

  public init(context: ReportContext = ReportContext()) { self.context = context }

  public func render(_ analysis: LatencyAnalysis) -> String {
    let level = decimal(analysis.falseDiscoveryRate, 2)
    var body = "<header><h1>Why the slow traces are slower</h1>\n"
    body += "<p class=\"verdict\">\(escape(verdictSentence(analysis)))</p>\n"
    body += "<p class=\"facts\">fast: \(analysis.fastTraces) traces, mean \(millis(analysis.fastMeanLatencyMillis)) · "
    body += "slow: \(analysis.slowTraces) traces, mean \(millis(analysis.slowMeanLatencyMillis)) · "
    let mix = analysis.endpointMixMillis
    body += "gap \(millis(analysis.gapMillis)) = \(millis(analysis.withinEndpointGapMillis)) within endpoints "
    body += "\(mix < 0 ? "−" : "+") \(millis(abs(mix))) endpoint mix</p>\n"
    for caveat in analysis.caveats { body += "<p class=\"caution\">caution: \(escape(caveat))</p>\n" }
    body += "</header>\n"
    body += section(
      "Where the gap goes", waterfall(analysis),
      note: "Bars add the endpoint mix and each suspect's growth on the critical path to the fast mean; whiskers are "
        + "95% intervals (Welch t).",
      legend: "<span class=\"swatch significant\"></span>significant (grew by more than "
        + "\(escape(millis(analysis.minimumEffectMillis))), q &lt; \(level)) <span class=\"swatch suspect\"></span>not "
        + "significant <span class=\"swatch mix\"></span>endpoint mix <span class=\"swatch rest\"></span>other span keys")
    let shares = analysis.services.reduce(0) { $0 + $1.share }
    let overshoot =
      shares > 1.005
      ? " The services add up to \(decimal(shares * 100, 0))% of the gap because other span keys shrank and the "
        + "endpoint mix moved \(millis(analysis.endpointMixMillis)): the gap is the sum of all of them."
      : ""
    body += section(
      "Services", serviceBars(analysis),
      note: "Summed growth of each service's suspects (a network suspect counts for its callee), largest first; "
        + "the share is of the gap." + overshoot
        + (offPathGrowthPhrase(analysis).map { " Grew off the critical path (does not slow requests): \($0)." } ?? ""))
    body += distributionsSection(analysis)
    body += timelinesSection(analysis)
    body += table(
      caption: "Suspects, largest first (growth on the critical path; * significant at q &lt; \(level))",
      header: [
        "rank", "service", "suspect", "growth", "95% interval", "share", "of variance", "q", "",
        "explained by", "typical slow trace",
      ],
      rows: analysis.suspects.prefix(Self.suspectRows).enumerated().map { index, suspect in
        [
          String(index + 1), escape(suspect.service), escape(suspect.name), millis(suspect.contribution.value),
          interval(suspect.contribution.low, suspect.contribution.high), percent(suspect.share),
          percent(suspect.varianceShare), scientific(suspect.contribution.qValue), suspect.isSignificant ? "*" : "",
          escape(
            suspect.explanation.prefix(3).map {
              "\(TableExporter.describe($0.column, in: suspect)) \(signedDecimal($0.contribution.value, 1)) ms"
            }.joined(separator: ", ")),
          traceLink(suspect.exampleSlowTraceID, short: true),
        ]
      }, class: "suspects")
    if analysis.suspects.count > Self.suspectRows {
      body += "<p class=\"legend\">\(analysis.suspects.count - Self.suspectRows) more suspects, each smaller: --csv and --json hold every one.</p>\n"
    }
    body += table(
      caption: "Endpoints", header: ["endpoint", "share of fast", "share of slow"],
      rows: analysis.endpointMix.map { [escape($0.endpoint.description), percent($0.fastShare), percent($0.slowShare)] })
    body += table(
      caption: "The first suspects by attribute value (traces holding the suspect)",
      header: ["suspect", "attribute value", "share of fast", "share of slow", "growth with it", "more than with the others", "95% interval", "q"],
      rows: analysis.attributeBreakdown.map {
        [
          escape($0.suspect), escape("\($0.attribute)=\($0.value)") + ($0.isNew ? " (new: against the slow traces without it)" : ""),
          percent($0.fastShare), percent($0.slowShare), $0.growthMillis.isNaN ? "–" : millis($0.growthMillis),
          millis($0.effect.value) + ($0.isSignificant ? " *" : ""),
          $0.effect.low.isNaN ? "–" : "[\(millis($0.effect.low)), \(millis($0.effect.high))]",
          scientific($0.effect.qValue),
        ]
      })
    body += table(
      caption: "Data quality", header: ["batch", "what reading found"],
      rows: context.dataQuality.map { [escape($0.batch), escape($0.summary)] })
    return """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8"><title>whyslow report</title>
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <style>\(Self.style)</style></head>
      <body>
      \(body)</body></html>

      """
  }

  // MARK: Charts

  /// A horizontal waterfall: fast mean, endpoint mix, each of the first suspects that grew,
  /// the rest, and the slow mean as a total; intervals as whiskers. Long labels wrap onto two
  /// lines (never cut to the same text); values sit past the whiskers.
  private func waterfall(_ analysis: LatencyAnalysis) -> String {
    let shown = Array(analysis.suspects.filter { $0.contribution.value > 0 }.prefix(8))
    let rest = analysis.withinEndpointGapMillis - shown.reduce(0) { $0 + $1.contribution.value }
    var steps: [(label: String, from: Double, to: Double, low: Double?, high: Double?, kind: String)] = []
    var level = analysis.fastMeanLatencyMillis
    steps.append(("fast mean", 0, level, nil, nil, "total"))
    func add(_ label: String, _ delta: Double, _ low: Double? = nil, _ high: Double? = nil, kind: String) {
      steps.append((label, level, level + delta, low.map { level + $0 }, high.map { level + $0 }, kind))
      level += delta
    }
    add("endpoint mix", analysis.endpointMixMillis, kind: "mix")
    for suspect in shown {
      add(suspect.name, suspect.contribution.value, suspect.contribution.low.isNaN ? nil : suspect.contribution.low,
          suspect.contribution.high.isNaN ? nil : suspect.contribution.high, kind: suspect.isSignificant ? "significant" : "suspect")
    }
    add("other span keys", rest, kind: "rest")
    steps.append(("slow mean", 0, analysis.slowMeanLatencyMillis, nil, nil, "total"))
    let extent = max(1e-9, steps.flatMap { [$0.from, $0.to, $0.high ?? 0] }.max() ?? 1)
    let low = min(0, steps.flatMap { [$0.from, $0.to, $0.low ?? 0] }.min() ?? 0)
    let (labelWidth, plotWidth, rowHeight) = (330.0, 520.0, 34.0)
    let scale = { (value: Double) in labelWidth + (value - low) / (extent - low) * plotWidth }
    var svg = chartOpen(width: labelWidth + plotWidth + 80, height: Double(steps.count) * rowHeight + 30, label: "Waterfall of the latency gap")
    for (row, step) in steps.enumerated() {
      let y = Double(row) * rowHeight + 8
      let (x0, x1) = (scale(min(step.from, step.to)), scale(max(step.from, step.to)))
      svg += label(step.label, x: labelWidth - 8, y: y + 13, width: 50)
      svg += "<rect class=\"\(step.kind)\" x=\"\(f(x0))\" y=\"\(f(y))\" width=\"\(f(max(1, x1 - x0)))\" height=\"\(f(rowHeight - 14))\"><title>\(escape(step.label)): \(escape(millis(step.to - step.from)))</title></rect>"
      var valueX = x1 + 6
      if let l = step.low, let h = step.high {
        let mid = y + (rowHeight - 14) / 2
        svg += "<line class=\"whisker\" x1=\"\(f(scale(l)))\" x2=\"\(f(scale(h)))\" y1=\"\(f(mid))\" y2=\"\(f(mid))\"/>"
        valueX = max(valueX, scale(h) + 6)
      }
      let value = step.kind == "total" ? millis(step.to) : signedDecimal(step.to - step.from, 1) + " ms"
      svg += "<text class=\"value\" x=\"\(f(valueX))\" y=\"\(f(y + 14))\">\(escape(value))</text>"
    }
    svg += axis(y: Double(steps.count) * rowHeight + 10, from: labelWidth, width: plotWidth, low: low, high: extent)
    return svg + "</svg>"
  }

  /// A right-aligned label ending at `x`: one line, or two when longer than `width` characters
  /// (split at a space near the middle; each line cut in its middle if still too long, so
  /// that two labels that differ anywhere stay different).
  private func label(_ text: String, x: Double, y: Double, width: Int) -> String {
    guard text.count > width else {
      return "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"end\">\(escape(text))</text>"
    }
    let characters = Array(text)
    let middle = characters.count / 2
    let spaces = characters.indices.filter { characters[$0] == " " }
    let split = spaces.min { abs($0 - middle) < abs($1 - middle) } ?? middle
    let lines = [String(characters[..<split]), String(characters[split...]).trimmingCharacters(in: .whitespaces)]
      .map { middleCut($0, width) }
    return "<text x=\"\(f(x))\" y=\"\(f(y - 6))\" text-anchor=\"end\"><title>\(escape(text))</title>"
      + "<tspan x=\"\(f(x))\">\(escape(lines[0]))</tspan><tspan x=\"\(f(x))\" dy=\"13\">\(escape(lines[1]))</tspan></text>"
  }

  /// `text` cut in its middle to `limit` characters ("ts-preserve-ot…service HTTP GET").
  private func middleCut(_ text: String, _ limit: Int) -> String {
    guard text.count > limit else { return text }
    let head = (limit - 1) / 2
    return String(text.prefix(head)) + "…" + String(text.suffix(limit - 1 - head))
  }

  /// The services as horizontal bars, largest first, in one colour.
  private func serviceBars(_ analysis: LatencyAnalysis) -> String {
    let services = Array(analysis.services.prefix(10))
    let extent = max(1e-9, services.map(\.contributionMillis).max() ?? 1)
    let (labelWidth, plotWidth, rowHeight) = (240.0, 540.0, 24.0)
    var svg = chartOpen(width: labelWidth + plotWidth + 130, height: Double(max(services.count, 1)) * rowHeight + 10, label: "Services by their suspects' growth")
    for (row, service) in services.enumerated() {
      let y = Double(row) * rowHeight + 4
      let width = service.contributionMillis / extent * plotWidth
      svg += "<text x=\"\(f(labelWidth - 8))\" y=\"\(f(y + 14))\" text-anchor=\"end\">\(escape(middleCut(service.service, 36)))</text>"
      svg += "<rect class=\"service\" x=\"\(f(labelWidth))\" y=\"\(f(y))\" width=\"\(f(max(1, width)))\" height=\"\(f(rowHeight - 7))\"><title>\(escape(service.service))</title></rect>"
      svg += "<text class=\"value\" x=\"\(f(labelWidth + width + 6))\" y=\"\(f(y + 14))\">\(escape(millis(service.contributionMillis))) (\(escape(percent(service.share))))</text>"
    }
    return svg + "</svg>"
  }

  /// Per top suspect: the empirical distribution functions of its critical-path time in both
  /// batches on a logarithmic time axis (a few slow traces would otherwise squeeze the rest
  /// into a few pixels), with axis titles, and the findings that explain its growth.
  private func distributionsSection(_ analysis: LatencyAnalysis) -> String {
    let suspects = Dictionary(analysis.suspects.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    let panels = analysis.distributions.prefix(3).compactMap { distribution -> String? in
      guard let suspect = suspects[distribution.name], !distribution.fastQuantiles.isEmpty, !distribution.slowQuantiles.isEmpty
      else { return nil }
      let (width, height, left, bottom) = (440.0, 220.0, 56.0, 46.0)
      let all = (distribution.fastQuantiles + distribution.slowQuantiles).filter { $0 > 0 }
      let (smallest, largest) = (all.min() ?? 1, all.max() ?? 1)
      // Whole decades around the data, at least one.
      let (lowDecade, highDecade) = (floor(log10(smallest)), max(ceil(log10(largest)), floor(log10(smallest)) + 1))
      let x = { (value: Double) in
        left + (log10(max(value, smallest)) - lowDecade) / (highDecade - lowDecade) * (width - left - 14)
      }
      let y = { (p: Double) in (height - bottom) - p * (height - bottom - 10) }
      func steps(_ quantiles: [Double], _ kind: String) -> String {
        let points = quantiles.enumerated().map { "\(f(x($1))),\(f(y(Double($0) / 100)))" }
        return "<polyline class=\"\(kind)\" points=\"\(points.joined(separator: " "))\"/>"
      }
      var svg = chartOpen(width: width, height: height, label: "Distribution of \(suspect.name) in fast and slow traces")
      svg += "<line class=\"frame\" x1=\"\(f(left))\" y1=\"\(f(y(0)))\" x2=\"\(f(width - 14))\" y2=\"\(f(y(0)))\"/>"
      svg += "<line class=\"frame\" x1=\"\(f(left))\" y1=\"\(f(y(0)))\" x2=\"\(f(left))\" y2=\"\(f(y(1)))\"/>"
      for p in [0.0, 0.5, 1.0] {
        svg += "<text class=\"axis\" x=\"\(f(left - 6))\" y=\"\(f(y(p) + 4))\" text-anchor=\"end\">\(decimal(p, 1))</text>"
      }
      for decade in Int(lowDecade)...Int(highDecade) {
        let value = pow(10, Double(decade))
        let tick = left + (Double(decade) - lowDecade) / (highDecade - lowDecade) * (width - left - 14)
        svg += "<line class=\"tick\" x1=\"\(f(tick))\" x2=\"\(f(tick))\" y1=\"\(f(y(0)))\" y2=\"\(f(y(0) + 4))\"/>"
        svg += "<text class=\"axis\" x=\"\(f(tick))\" y=\"\(f(y(0) + 15))\" text-anchor=\"middle\">\(escape(tickLabel(value)))</text>"
      }
      svg += "<text class=\"axis\" x=\"\(f((left + width) / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\">critical-path time per trace (ms, log scale)</text>"
      svg += "<text class=\"axis\" transform=\"translate(14 \(f(y(0.5)))) rotate(-90)\" text-anchor=\"middle\">share of traces ≤ x</text>"
      svg += steps(distribution.fastQuantiles, "fast-line") + steps(distribution.slowQuantiles, "slow-line") + "</svg>"
      let reasons = suspect.explanation.prefix(4).map {
        "<li>\(escape(TableExporter.describe($0.column, in: suspect))) \(escape(signedDecimal($0.contribution.value, 1))) ms\($0.isSignificant(at: analysis.falseDiscoveryRate) ? " *" : "")</li>"
      }.joined()
      return "<figure class=\"panel\"><figcaption>\(escape(suspect.name)): \(escape(millis(suspect.contribution.value))) of the gap</figcaption>\(svg)"
        + "<p class=\"legend\">Of the traces where it is on the critical path (<span class=\"fast-key\">\(percent(distribution.fastShareOnPath)) of fast</span>, "
        + "<span class=\"slow-key\">\(percent(distribution.slowShareOnPath)) of slow</span>): the share with at most that much critical-path time.</p>"
        + (reasons.isEmpty ? "" : "<ul>\(reasons)</ul>") + "</figure>"
    }
    guard !panels.isEmpty else { return "" }
    return "<section><h2>Top suspects, fast against slow</h2><div class=\"panels\">\(panels.joined())</div></section>\n"
  }

  /// "0.1 ms", "1 ms", "10 ms", "1 s".
  private func tickLabel(_ millis: Double) -> String {
    millis >= 1000 ? "\(decimal(millis / 1000, 0)) s" : String(format: "%g ms", millis)
  }

  /// A Gantt chart per timeline on one time scale, each trace whole: every span on the
  /// critical path for 1% of the trace or more, the top suspects' spans with their children,
  /// and the ancestors of all of these are drawn; other subtrees fold into a "+N spans" count
  /// on the span above them. Critical-path spans solid, others hollow, suspects outlined red.
  private func timelinesSection(_ analysis: LatencyAnalysis) -> String {
    guard !context.timelines.isEmpty else { return "" }
    let suspects = Set(
      analysis.suspects.filter { $0.contribution.value > 0 && ($0.isSignificant || $0.share >= 0.05) }.prefix(5).map(\.key)
        + analysis.suspects.prefix(1).filter { $0.contribution.value > 0 }.map(\.key))
    let extent = max(1e-9, context.timelines.map { $0.timeline.bars.map { $0.startMillis + $0.durationMillis }.max() ?? $0.timeline.latencyMillis }.max() ?? 1)
    var out = "<section><h2>A typical fast and slow trace with the top suspect</h2>"
    for (label, timeline) in context.timelines {
      let rows = Self.visibleRows(timeline, suspects: suspects, alsoShown: Set(analysis.offPathGrowth.map(\.key)))
      let (labelWidth, plotWidth, rowHeight) = (340.0, 560.0, 16.0)
      let x = { (value: Double) in labelWidth + value / extent * plotWidth }
      var svg = chartOpen(width: labelWidth + plotWidth + 20, height: Double(rows.count) * rowHeight + 28, label: "Timeline of \(label) trace \(timeline.traceID)")
      for (row, entry) in rows.enumerated() {
        let bar = timeline.bars[entry.bar]
        let y = Double(row) * rowHeight + 2
        let hot = suspects.contains(bar.key)
        let classes = [bar.criticalMillis > 0 ? "critical" : "offpath", hot ? "hot" : "", bar.isAsynchronous ? "async" : ""]
          .filter { !$0.isEmpty }.joined(separator: " ")
        let folded = entry.hidden > 0 ? " (+\(entry.hidden) spans)" : ""
        let text = String(repeating: "  ", count: min(bar.depth, 8)) + middleCut(bar.key.description, 44 - folded.count) + folded
        svg += "<text class=\"\(hot ? "hot-label" : "")\" x=\"\(f(labelWidth - 6))\" y=\"\(f(y + 11))\" text-anchor=\"end\"><title>\(escape(bar.key.description))</title>\(escape(text))</text>"
        svg += "<rect class=\"\(classes)\" x=\"\(f(x(bar.startMillis)))\" y=\"\(f(y))\" width=\"\(f(max(1, bar.durationMillis / extent * plotWidth)))\" height=\"\(f(rowHeight - 4))\"><title>\(escape(bar.key.description)): \(escape(millis(bar.durationMillis))), \(escape(millis(bar.criticalMillis))) on the critical path</title></rect>"
      }
      svg += axis(y: Double(rows.count) * rowHeight + 8, from: labelWidth, width: plotWidth, low: 0, high: extent) + "</svg>"
      let hidden = timeline.bars.count - rows.count
      out += "<figure><figcaption>\(escape(label)): \(traceLink(timeline.traceID)), \(escape(millis(timeline.latencyMillis))), "
        + "\(timeline.bars.count) spans" + (hidden > 0 ? " (\(hidden) in folded subtrees)" : "") + "</figcaption>\(svg)</figure>"
    }
    out += "<p class=\"legend\"><span class=\"critical-key\">on the critical path</span> <span class=\"offpath-key\">off it</span> <span class=\"hot-key\">a top suspect</span>; gaps between bars are idle time; \"+N spans\" counts a folded subtree's spans.</p></section>\n"
    return out
  }

  /// The bars a timeline draws, in order, each with how many spans below it are folded away;
  /// `alsoShown` keys (work that grew off the critical path) are drawn too.
  static func visibleRows(_ timeline: TraceTimeline, suspects: Set<SpanKey>, alsoShown: Set<SpanKey>)
    -> [(bar: Int, hidden: Int)]
  {
    let bars = timeline.bars
    var keep = bars.map {
      $0.parent < 0 || suspects.contains($0.key) || alsoShown.contains($0.key)
        || $0.criticalMillis >= 0.01 * timeline.latencyMillis
    }
    for (index, bar) in bars.enumerated() where bar.parent >= 0 && suspects.contains(bars[bar.parent].key) {
      keep[index] = true  // what a suspect's span called
    }
    for index in bars.indices.reversed() where keep[index] {  // children come after their parents
      var parent = bars[index].parent
      while parent >= 0 && !keep[parent] {
        keep[parent] = true
        parent = bars[parent].parent
      }
    }
    var hidden = [Int](repeating: 0, count: bars.count)
    for index in bars.indices where !keep[index] {
      var parent = bars[index].parent  // counted on the nearest drawn ancestor
      while parent >= 0 && !keep[parent] { parent = bars[parent].parent }
      if parent >= 0 { hidden[parent] += 1 }
    }
    return bars.indices.filter { keep[$0] }.map { ($0, hidden[$0]) }
  }

  private func chartOpen(width: Double, height: Double, label: String) -> String {
    "<svg class=\"chart\" role=\"img\" aria-label=\"\(escape(label))\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\">"
  }

  /// Five ticks from `low` to `high` ms along `width` pixels from `from`.
  private func axis(y: Double, from: Double, width: Double, low: Double, high: Double) -> String {
    (0...4).map { tick -> String in
      let value = low + (high - low) * Double(tick) / 4
      let x = from + Double(tick) / 4 * width
      return "<line class=\"tick\" x1=\"\(f(x))\" x2=\"\(f(x))\" y1=\"\(f(y - 6))\" y2=\"\(f(y - 2))\"/><text class=\"axis\" x=\"\(f(x))\" y=\"\(f(y + 10))\" text-anchor=\"middle\">\(escape(decimal(value, value.magnitude >= 100 ? 0 : 1))) ms</text>"
    }.joined()
  }

  // MARK: Text

  /// A titled chart with its note and, when given, a legend of its colours (HTML).
  private func section(_ title: String, _ chart: String, note: String, legend: String = "") -> String {
    "<section><h2>\(escape(title))</h2>\(chart)"
      + (legend.isEmpty ? "" : "<p class=\"legend\">\(legend)</p>")
      + "<p class=\"legend\">\(escape(note))</p></section>\n"
  }

  private func table(caption: String, header: [String], rows: [[String]], class name: String = "") -> String {
    guard !rows.isEmpty else { return "" }
    let attribute = name.isEmpty ? "" : " class=\"\(name)\""
    var out = "<div class=\"scroll\"><table\(attribute)><caption>\(caption)</caption>\n<tr>" + header.map { "<th>\($0)</th>" }.joined() + "</tr>\n"
    for row in rows { out += "<tr>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>\n" }
    return out + "</table></div>\n"
  }

  /// The suspects the table lists (the largest; the CSV and JSON hold all).
  static let suspectRows = 30

  /// A trace id, a link when a `--trace-url` template was given; `short` shows its first 12
  /// characters (the whole id in the tooltip and the link).
  private func traceLink(_ id: String, short: Bool = false) -> String {
    let shown = short && id.count > 13 ? "<span title=\"\(escape(id))\">\(escape(String(id.prefix(12))))…</span>" : escape(id)
    guard let template = context.traceURL, !id.isEmpty else { return shown }
    let encoded = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id
    return "<a href=\"\(escape(template.replacingOccurrences(of: "{id}", with: encoded)))\">\(shown)</a>"
  }

  private func interval(_ low: Double, _ high: Double) -> String {
    low.isNaN ? "" : "[\(decimal(low, 1)), \(decimal(high, 1))]"
  }
  private func f(_ value: Double) -> String { decimal(value, 1) }

  private func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }

  private static let style = """
    :root{--fast:#2c7fb8;--slow:#d95f0e;--hot:#c51b1b;--ink:#1f2328;--muted:#57606a;--line:#d0d7de}\
    body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);margin:2em auto;max-width:1000px;padding:0 1em}\
    h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.6em 0 .4em;border-bottom:1px solid var(--line);padding-bottom:.2em}\
    .verdict{font-size:1.35em;font-weight:600;margin:.2em 0 .5em;line-height:1.3}.facts,.legend{color:var(--muted);font-size:.9em}\
    .caution{color:#9a6700;background:#fff8c5;padding:.3em .6em;border-radius:4px}\
    svg.chart{max-width:100%;height:auto;font-size:12px;fill:var(--ink)}svg text.value,svg text.axis{fill:var(--muted);font-size:11px}\
    rect.total{fill:#8c959f}rect.mix,.swatch.mix{fill:#bf8700;background:#bf8700}rect.suspect,.swatch.suspect{fill:#f0a07a;background:#f0a07a}\
    rect.significant,.swatch.significant{fill:var(--slow);background:var(--slow)}rect.rest,.swatch.rest{fill:#afb8c1;background:#afb8c1}rect.service{fill:#8c6bb1}\
    .swatch{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 .8em;vertical-align:-.1em;border-radius:2px}text.hot-label{fill:var(--hot);font-weight:600}\
    line.whisker{stroke:var(--ink);stroke-width:1.5}line.tick,line.frame{stroke:var(--muted)}\
    polyline{fill:none;stroke-width:2}polyline.fast-line{stroke:var(--fast)}polyline.slow-line{stroke:var(--slow)}\
    rect.critical{fill:var(--fast)}rect.offpath{fill:#fff;stroke:var(--fast);stroke-width:1}rect.hot{stroke:var(--hot);stroke-width:2.5}rect.async{opacity:.5}\
    .panels{display:flex;flex-wrap:wrap;gap:1em}.panel{flex:1 1 420px;margin:0}figure{margin:.6em 0}figcaption{font-weight:600;margin-bottom:.3em}\
    .fast-key{color:var(--fast);font-weight:600}.slow-key{color:var(--slow);font-weight:600}.critical-key{color:var(--fast);font-weight:600}\
    .offpath-key{color:var(--muted)}.hot-key{color:var(--hot);font-weight:600}\
    .scroll{overflow-x:auto}table{border-collapse:collapse;margin:1em 0;font-size:.85em}\
    td,th{border:1px solid var(--line);padding:.2em .5em;text-align:right;vertical-align:top;white-space:nowrap}\
    table.suspects td:nth-child(3),table.suspects td:nth-child(10){white-space:normal;min-width:12em;max-width:20em;text-align:left}\
    table.suspects td:nth-child(2){white-space:normal;text-align:left}\
    td:nth-child(2),td:nth-child(3),th{text-align:left}caption{text-align:left;font-weight:bold;padding:.3em 0}a{color:var(--fast)}
    """
}
