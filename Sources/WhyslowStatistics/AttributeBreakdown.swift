import Foundation
import WhyslowFeatures

/// One value of one attribute on a top suspect's span key: how common it is among the traces
/// that hold the key in each batch, how much the suspect grew among the traces with it, and how
/// much more than among those without it.
///
/// A value is judged only against the other values of the same attribute on the same key (as
/// Honeycomb's BubbleUp and Tempo's compare do): a value every trace of the key carries is no
/// column at all (`FeatureMatrix`), so it never shows here.
public struct AttributeBreakdownRow: Sendable {
  /// The suspect's name (`Suspect.name`).
  public let suspect: String
  /// The attribute's key ("k8s.pod.name").
  public let attribute: String
  /// The value; "(not set)" for the key's traces without any value of it; "other values (N)"
  /// for the values past the first `AttributeBreakdown.valuesPerAttribute`, together.
  public let value: String
  /// The share of the fast and of the slow traces holding the key that carry the value.
  public let fastShare: Double
  public let slowShare: Double
  /// The suspect's mean critical-path time over those traces in each batch, ms.
  public let fastMean: Double
  public let slowMean: Double
  /// slow mean − fast mean (NaN when a batch has none with the value).
  public let growthMillis: Double
  /// Like with like: how much more the suspect grew with the value than with the attribute's
  /// other values, (slow − fast with it) − (slow − fast without it), with its interval and the
  /// test against the minimum effect (q across every row of every breakdown). A value fewer
  /// than two fast traces carry (`isNew`, a new version or pod) is compared within the slow
  /// batch instead: slow with it − slow without it.
  public let effect: Estimate
  public let isNew: Bool
  /// Whether the suspect grew significantly more with the value than with the others, by more
  /// than the minimum effect.
  public let isSignificant: Bool
}

/// Stage 6, where within a top suspect: its traces split by the values of each attribute that
/// varies on its key (pod, host, version, region, status, db instance, ...).
enum AttributeBreakdown {
  /// The suspects broken down: the first that grew, in ranking order.
  static let suspects = 3
  /// Values of one attribute shown apart, those on the most slow traces first.
  static let valuesPerAttribute = 5

  static func rows(
    _ ranked: [Suspect], _ accounting: CriticalPathAccounting, _ matrix: FeatureMatrix, minimumEffect: Double,
    level: Double
  ) -> [AttributeBreakdownRow] {
    let countColumn = Dictionary(
      matrix.columns.indices.filter { matrix.columns[$0].kind == .count }.map { (matrix.columns[$0].key, $0) },
      uniquingKeysWith: { first, _ in first })
    var drafts: [(suspect: String, attribute: String, value: String, test: TTest, means: (Double, Double),
                  shares: (Double, Double), isNew: Bool)] = []
    for suspect in ranked.filter({ $0.contribution.value > 0 }).prefix(suspects) {
      guard let time = accounting.criticalTimes(of: suspect), let count = countColumn[suspect.key] else { continue }
      let counts = matrix.column(count)
      let holding = (0..<matrix.traceCount).filter { counts[counts.startIndex + $0] > 0 }
      let (fastHolding, slowHolding) = (holding.filter { !matrix.isSlow[$0] }, holding.filter { matrix.isSlow[$0] })
      guard fastHolding.count >= 2, slowHolding.count >= 2 else { continue }
      var byAttribute: [String: [(value: String, rows: Set<Int>)]] = [:]
      for entry in matrix.attributes.entries where entry.column.key == suspect.key {
        guard case .attribute(let name, let value) = entry.column.kind else { continue }
        byAttribute[name, default: []].append((value, Set(entry.rows.map(Int.init))))
      }
      for (attribute, values) in byAttribute.sorted(by: { $0.key < $1.key }) {
        var groups = values.map { (value: $0.value, rows: $0.rows, slow: $0.rows.filter { matrix.isSlow[$0] }.count) }
          .sorted { ($0.slow, $1.value) > ($1.slow, $0.value) }.map { (value: $0.value, rows: $0.rows) }
        if groups.count > valuesPerAttribute {
          let rest = groups[valuesPerAttribute...]
          groups = Array(groups.prefix(valuesPerAttribute))
          groups.append(("other values (\(rest.count))", rest.reduce(into: Set<Int>()) { $0.formUnion($1.rows) }))
        }
        let carrying = values.reduce(into: Set<Int>()) { $0.formUnion($1.rows) }
        let unset = Set(holding.filter { !carrying.contains($0) })
        if !unset.isEmpty { groups.append(("(not set)", unset)) }
        guard groups.count >= 2 else { continue }
        let value = { (row: Int) in time[time.startIndex + row] }
        for group in groups {
          let (fast, otherFast) = split(fastHolding, by: group.rows)
          let (slow, otherSlow) = split(slowHolding, by: group.rows)
          guard !slow.isEmpty || !fast.isEmpty else { continue }
          let isNew = fast.count < 2
          let test = TTest.contrast(
            isNew
              ? [(slow.map(value), 1), (otherSlow.map(value), -1)]
              : [(slow.map(value), 1), (fast.map(value), -1), (otherSlow.map(value), -1), (otherFast.map(value), 1)])
          drafts.append((
            suspect.name, attribute, group.value, test, (mean(fast.map(value)), mean(slow.map(value))),
            (Double(fast.count) / Double(fastHolding.count), Double(slow.count) / Double(slowHolding.count)), isNew
          ))
        }
      }
    }
    let p = drafts.map { $0.test.pValue(minimumEffect: minimumEffect) }
    let q = benjaminiHochberg(p).map { $0.isNaN ? 1 : $0 }
    return drafts.indices.map { index in
      let draft = drafts[index]
      return AttributeBreakdownRow(
        suspect: draft.suspect, attribute: draft.attribute, value: draft.value, fastShare: draft.shares.0,
        slowShare: draft.shares.1, fastMean: draft.means.0, slowMean: draft.means.1,
        growthMillis: draft.means.1 - draft.means.0, effect: Estimate(draft.test, pValue: p[index], qValue: q[index]),
        isNew: draft.isNew, isSignificant: q[index] < level && draft.test.estimate > 0)
    }
  }

  /// `rows` split into those in `group` and the others, each in order.
  private static func split(_ rows: [Int], by group: Set<Int>) -> ([Int], [Int]) {
    (rows.filter { group.contains($0) }, rows.filter { !group.contains($0) })
  }

  private static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
  }
}
