import Foundation
import WhyslowStatistics

/// The analysis as one versioned JSON object: `{"type": "whyslow.analysis", "version": 1,
/// "records": [...]}`, each record carrying a `type`: one `summary`, then `endpoint`,
/// `suspect`, `finding` and `attribute` records in the order the table and CSV use.
/// Numbers are milliseconds unless named otherwise; NaN becomes null.
public struct JSONExporter: SuspectExporter {
  public init() {}

  public func render(_ analysis: LatencyAnalysis) -> String {
    var records: [Record] = [
      Record(
        type: "summary", fields: [
          "fast_traces": .number(Double(analysis.fastTraces)), "slow_traces": .number(Double(analysis.slowTraces)),
          "fast_mean_ms": .number(analysis.fastMeanLatencyMillis), "slow_mean_ms": .number(analysis.slowMeanLatencyMillis),
          "gap_ms": .number(analysis.gapMillis), "within_endpoints_ms": .number(analysis.withinEndpointGapMillis),
          "services": .strings(analysis.services.map { "\($0.service)=\(decimal($0.contributionMillis, 3))" }),
          "endpoint_mix_ms": .number(analysis.endpointMixMillis),
          "unexplained_ms": .number(analysis.unexplainedMillis), "fdr": .number(analysis.falseDiscoveryRate),
          "significant": .bool(analysis.hasSignificantSuspect),
          "caveats": .strings(analysis.caveats),
        ])
    ]
    records += analysis.endpointMix.map {
      Record(type: "endpoint", fields: [
        "service": .string($0.endpoint.service), "operation": .string($0.endpoint.operation),
        "fast_share": .number($0.fastShare), "slow_share": .number($0.slowShare),
      ])
    }
    records += analysis.suspects.enumerated().map { rank, suspect in
      Record(type: "suspect", fields: [
        "rank": .number(Double(rank + 1)), "name": .string(suspect.name), "service": .string(suspect.service),
        "contribution_ms": .number(suspect.contributionMillis), "share": .number(suspect.share),
        "ci_low_ms": .number(suspect.ciLowMillis), "ci_high_ms": .number(suspect.ciHighMillis),
        "q_value": .number(suspect.qValue), "significant": .bool(suspect.isSignificant),
        "keys": .strings(suspect.keys.map(\.description)), "example_slow_trace": .string(suspect.exampleSlowTraceID),
      ])
    }
    records += analysis.findings.enumerated().map { rank, finding in
      Record(type: "finding", fields: [
        "rank": .number(Double(rank + 1)), "service": .string(finding.column.key.service),
        "operation": .string(finding.column.key.qualifiedOperation), "feature": .string(finding.column.kind.name),
        "peer_service": .string(finding.column.peerService), "contribution_ms": .number(finding.contributionMillis),
        "coefficient": .number(finding.coefficient), "coefficient_se_hc3": .number(finding.coefficientStandardError),
        "share": .number(finding.share), "ci_low_ms": .number(finding.ciLowMillis),
        "ci_high_ms": .number(finding.ciHighMillis), "p_value": .number(finding.pValue),
        "q_value": .number(finding.qValue), "fast_mean": .number(finding.fastMean),
        "slow_mean": .number(finding.slowMean), "example_slow_trace": .string(finding.exampleSlowTraceID),
      ])
    }
    records += analysis.attributeEffects.map { effect in
      Record(type: "attribute", fields: [
        "service": .string(effect.column.key.service), "operation": .string(effect.column.key.qualifiedOperation),
        "attribute": .string(effect.column.kind.name), "fast_share": .number(effect.fastPrevalence),
        "slow_share": .number(effect.slowPrevalence), "carried_ms": .number(effect.carriedMillis),
        "slowdown_ms": .number(effect.slowdownWithValueMillis),
        "prevalence_q_value": .number(effect.prevalenceQValue), "slowdown_q_value": .number(effect.slowdownQValue),
      ])
    }
    return encodeJSON(Document(records: records))
  }

  private struct Document: Encodable {
    let type = "whyslow.analysis"
    let version = 1
    let records: [Record]
  }

  /// One record: its `type` and its fields, encoded with sorted keys.
  private struct Record: Encodable {
    let type: String
    let fields: [String: Value]

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Key.self)
      try container.encode(type, forKey: Key("type"))
      for (name, value) in fields { try container.encode(value, forKey: Key(name)) }
    }
  }

  private struct Key: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
  }

  private enum Value: Encodable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case strings([String])

    func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .number(let value): if value.isFinite { try container.encode(value) } else { try container.encodeNil() }
      case .string(let value): try container.encode(value)
      case .bool(let value): try container.encode(value)
      case .strings(let value): try container.encode(value)
      }
    }
  }
}
