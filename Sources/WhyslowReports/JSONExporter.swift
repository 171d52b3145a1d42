import Foundation
import WhyslowStatistics

/// The analysis as one versioned JSON object: `{"type": "whyslow.analysis", "version": 2,
/// "records": [...]}`, each record carrying a `type`: one `summary`, then `endpoint` and
/// `service` records, then each `suspect` in the one ranking followed by the `finding`s that
/// explain it (as the table and CSV order them), then `attribute` records.
/// Numbers are milliseconds unless named otherwise; NaN becomes null.
public struct JSONExporter: SuspectExporter {
  public init() {}

  public func render(_ analysis: LatencyAnalysis) -> String {
    var records: [JSONRecord] = [
      JSONRecord(
        type: "summary", fields: [
          "fast_traces": .number(Double(analysis.fastTraces)), "slow_traces": .number(Double(analysis.slowTraces)),
          "fast_mean_ms": .number(analysis.fastMeanLatencyMillis), "slow_mean_ms": .number(analysis.slowMeanLatencyMillis),
          "gap_ms": .number(analysis.gapMillis), "within_endpoints_ms": .number(analysis.withinEndpointGapMillis),
          "within_endpoints_ci_low_ms": .number(analysis.withinEndpointGap.low),
          "within_endpoints_ci_high_ms": .number(analysis.withinEndpointGap.high),
          "services": .strings(analysis.services.map { "\($0.service)=\(decimal($0.contributionMillis, 3))" }),
          "endpoint_mix_ms": .number(analysis.endpointMixMillis),
          "fdr": .number(analysis.falseDiscoveryRate),
          "significant": .bool(analysis.hasSignificantSuspect),
          "caveats": .strings(analysis.caveats),
        ])
    ]
    records += analysis.endpointMix.map {
      JSONRecord(type: "endpoint", fields: [
        "service": .string($0.endpoint.service), "operation": .string($0.endpoint.operation),
        "fast_share": .number($0.fastShare), "slow_share": .number($0.slowShare),
      ])
    }
    records += analysis.services.enumerated().map { rank, total in
      JSONRecord(type: "service", fields: [
        "rank": .number(Double(rank + 1)), "service": .string(total.service),
        "contribution_ms": .number(total.contributionMillis), "share": .number(total.share),
      ])
    }
    for (index, suspect) in analysis.suspects.enumerated() {
      let rank = JSONValue.number(Double(index + 1))
      records.append(JSONRecord(type: "suspect", fields: [
        "rank": rank, "name": .string(suspect.name), "service": .string(suspect.service),
        "key_service": .string(suspect.key.service), "operation": .string(suspect.key.qualifiedOperation),
        "callee": .string(suspect.callee ?? ""), "calls": .string(suspect.calls ?? ""), "variance_share": .number(suspect.varianceShare),
        "fast_mean_ms": .number(suspect.fastMean), "slow_mean_ms": .number(suspect.slowMean),
        "remainder_ms": .number(suspect.remainderMillis), "significant": .bool(suspect.isSignificant),
        "example_slow_trace": .string(suspect.exampleSlowTraceID),
      ].merging(Self.fields(suspect.contribution, share: suspect.share)) { first, _ in first }))
      records += suspect.explanation.map { finding in
        JSONRecord(type: "finding", fields: [
          "suspect_rank": rank, "service": .string(finding.column.key.service),
          "operation": .string(finding.column.key.qualifiedOperation), "feature": .string(finding.column.kind.name),
          "peer_service": .string(finding.column.peerService), "coefficient": .number(finding.coefficient),
          "coefficient_se_hc3": .number(finding.coefficientStandardError),
          "fast_mean": .number(finding.fastMean), "slow_mean": .number(finding.slowMean),
          "example_slow_trace": .string(finding.exampleSlowTraceID),
        ].merging(Self.fields(finding.contribution, share: finding.share)) { first, _ in first })
      }
    }
    records += analysis.attributeBreakdown.map { row in
      JSONRecord(type: "breakdown", fields: [
        "suspect": .string(row.suspect), "attribute": .string(row.attribute), "value": .string(row.value),
        "fast_share": .number(row.fastShare), "slow_share": .number(row.slowShare),
        "fast_mean_ms": .number(row.fastMean), "slow_mean_ms": .number(row.slowMean),
        "growth_ms": .number(row.growthMillis), "more_than_others_ms": .number(row.effect.value),
        "ci_low_ms": .number(row.effect.low), "ci_high_ms": .number(row.effect.high),
        "p_value": .number(row.effect.pValue), "q_value": .number(row.effect.qValue), "new_value": .bool(row.isNew),
        "significant": .bool(row.isSignificant),
      ])
    }
    return encodeJSON(JSONDocument(type: "whyslow.analysis", version: 2, records: records))
  }

  /// An estimate's fields: contribution_ms, share, ci_low_ms, ci_high_ms, p_value, q_value.
  private static func fields(_ estimate: Estimate, share: Double) -> [String: JSONValue] {
    [
      "contribution_ms": .number(estimate.value), "share": .number(share), "ci_low_ms": .number(estimate.low),
      "ci_high_ms": .number(estimate.high), "p_value": .number(estimate.pValue), "q_value": .number(estimate.qValue),
    ]
  }
}
