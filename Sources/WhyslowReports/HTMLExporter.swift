import Foundation
import WhyslowStatistics

/// The analysis as one self-contained HTML page (no scripts, no external files): the gap and
/// its split, caveats, endpoints, services, the suspects in the one ranking the terminal table
/// and the CSV use, and attribute values.
public struct HTMLExporter: SuspectExporter {
  public init() {}

  public func render(_ analysis: LatencyAnalysis) -> String {
    let level = decimal(analysis.falseDiscoveryRate, 2)
    var body = "<h1>whyslow: why the slow batch is slower</h1>\n"
    body += "<p class=\"verdict\">\(escape(verdictSentence(analysis)))</p>\n"
    body += "<p>fast: \(analysis.fastTraces) traces, mean \(decimal(analysis.fastMeanLatencyMillis, 1)) ms; "
    body += "slow: \(analysis.slowTraces) traces, mean \(decimal(analysis.slowMeanLatencyMillis, 1)) ms.<br>"
    body += "gap \(decimal(analysis.gapMillis, 1)) ms = \(decimal(analysis.withinEndpointGapMillis, 1)) ms within "
    body += "endpoints + \(decimal(analysis.endpointMixMillis, 1)) ms endpoint mix.</p>\n"
    for caveat in analysis.caveats { body += "<p class=\"caution\">caution: \(escape(caveat))</p>\n" }
    body += table(
      caption: "Endpoints", header: ["endpoint", "share of fast", "share of slow"],
      rows: analysis.endpointMix.map {
        [escape($0.endpoint.description), percent($0.fastShare), percent($0.slowShare)]
      })
    body += table(
      caption: "Services (their suspects' growth on the critical path)", header: ["rank", "service", "contribution", "share"],
      rows: analysis.services.enumerated().map { index, total in
        [String(index + 1), escape(total.service), millis(total.contributionMillis), percent(total.share)]
      })
    body += table(
      caption: "Suspects by service (time on the critical path; * significant at q &lt; \(level))",
      header: [
        "rank", "service", "suspect", "contribution", "95% interval", "share", "of variance", "q", "",
        "explained by", "example slow trace",
      ],
      rows: analysis.suspects.enumerated().map { index, suspect in
        [
          String(index + 1), escape(suspect.service), escape(suspect.name), millis(suspect.contribution.value),
          interval(suspect.contribution.low, suspect.contribution.high), percent(suspect.share),
          percent(suspect.varianceShare), scientific(suspect.contribution.qValue), suspect.isSignificant ? "*" : "",
          escape(
            suspect.explanation.prefix(3).map {
              "\(TableExporter.describe($0.column, in: suspect)) \(signedDecimal($0.contribution.value, 1)) ms"
            }.joined(separator: ", ")),
          escape(suspect.exampleSlowTraceID),
        ]
      })
    body += table(
      caption: "Attribute values",
      header: ["attribute", "span", "share of fast", "share of slow", "q", "carries", "slowdown", "q"],
      rows: analysis.attributeEffects.map {
        [
          escape($0.column.kind.name), escape($0.column.key.description), percent($0.fastPrevalence),
          percent($0.slowPrevalence), scientific($0.prevalenceQValue), millis($0.carriedMillis),
          millis($0.slowdownWithValueMillis), scientific($0.slowdownQValue),
        ]
      })
    return """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8"><title>whyslow report</title>
      <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}\
      td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}td:nth-child(2),th{text-align:left}\
      caption{text-align:left;font-weight:bold}.caution{color:#a40}.verdict{font-size:1.3em;font-weight:bold}</style></head>
      <body>
      \(body)</body></html>

      """
  }

  private func table(caption: String, header: [String], rows: [[String]]) -> String {
    guard !rows.isEmpty else { return "" }
    var out = "<table><caption>\(caption)</caption>\n<tr>" + header.map { "<th>\($0)</th>" }.joined() + "</tr>\n"
    for row in rows { out += "<tr>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>\n" }
    return out + "</table>\n"
  }

  private func millis(_ value: Double) -> String { value.isNaN ? "" : decimal(value, 1) + " ms" }
  private func percent(_ value: Double) -> String { value.isNaN ? "" : decimal(value * 100, 1) + "%" }
  private func interval(_ low: Double, _ high: Double) -> String {
    low.isNaN ? "" : "[\(decimal(low, 1)), \(decimal(high, 1))]"
  }

  private func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}
