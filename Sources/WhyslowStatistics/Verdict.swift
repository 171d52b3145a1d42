import Foundation
import WhyslowFeatures

/// Stage 6, the verdict: suspects with their q-values and findings, in the one ranking every
/// output shows, and the caveats that limit it.
///
/// The ranking reads as an SRE reads a table: suspects by contribution, largest first, so the
/// milliseconds never increase down the page and `--top N` shows the N largest; the services
/// line beside it sums each service's grown suspects (a network suspect counts for its callee),
/// largest first.
enum Verdict {
  static func suspects(
    _ accounting: CriticalPathAccounting, _ evidence: SuspectEvidence,
    _ explanation: SuspectExplanation, gap: Double, minimumEffect: Double, level: Double
  ) -> [Suspect] {
    let suspectP = evidence.tests.map { $0.pValue(minimumEffect: minimumEffect) }
    let suspectQ = benjaminiHochberg(suspectP.indices.map { evidence.canExceed[$0] ? suspectP[$0] : .nan })
      .map { $0.isNaN ? 1 : $0 }
    let findingP = explanation.tests.map { $0.pValue() }
    let findingQ = benjaminiHochberg(findingP)
    var findings = [[Finding]](repeating: [], count: accounting.candidates.count)
    for (column, owner) in explanation.owner.enumerated() {
      let response = explanation.explained[owner]
      let test = explanation.tests[column]
      findings[response].append(
        Finding(
          column: explanation.columns[column],
          coefficient: explanation.fit?.coefficients[column + 1, owner] ?? .nan,
          coefficientStandardError: explanation.fit?.standardErrors[column + 1, owner] ?? .nan,
          contribution: Estimate(test, pValue: findingP[column], qValue: findingQ[column]),
          share: test.estimate / gap, fastMean: explanation.fastMeans[column], slowMean: explanation.slowMeans[column],
          exampleSlowTraceID: explanation.exampleSlowTraceIDs[column]))
    }
    return accounting.candidates.enumerated().map { index, candidate in
      let growth = accounting.growth[index]
      let explaining = findings[index].sorted {
        ($0.contribution.value, $1.column.kind.name, $1.column.peerService, $1.column.key)
          > ($1.contribution.value, $0.column.kind.name, $0.column.peerService, $0.column.key)
      }
      return Suspect(
        name: candidate.name, key: candidate.key, callee: candidate.callee, calls: candidate.calls,
        service: candidate.service,
        contribution: Estimate(evidence.tests[index], pValue: suspectP[index], qValue: suspectQ[index]),
        share: growth / gap, varianceShare: evidence.varianceShares[index],
        fastMean: evidence.fastMeans[index], slowMean: evidence.slowMeans[index],
        explanation: explaining,
        remainderMillis: growth - explaining.reduce(0) { $0 + $1.contribution.value },
        isSignificant: suspectQ[index] < level && growth > 0,
        exampleSlowTraceID: evidence.exampleSlowTraceIDs[index],
        exampleFastTraceID: evidence.exampleFastTraceIDs[index])
    }
  }

  /// Suspects by contribution, largest first (ties by name and key), and the services by the
  /// summed growth of their grown suspects, largest first.
  static func ranked(_ suspects: [Suspect], gap: Double) -> (suspects: [Suspect], services: [ServiceTotal]) {
    let ranked = suspects.sorted {
      ($0.contribution.value, $1.name, $1.key) > ($1.contribution.value, $0.name, $0.key)
    }
    var total: [String: Double] = [:]
    for suspect in suspects where suspect.contribution.value > 0 {
      total[suspect.service, default: 0] += suspect.contribution.value
    }
    let services = total.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
      ServiceTotal(service: $0.key, contributionMillis: $0.value, share: $0.value / gap)
    }
    return (ranked, services)
  }

  /// What limits the answer, in plain words.
  static func caveats(
    gap: Estimate, within: Estimate, suspects: [Suspect], level: Double, smallerBatch: Int, strata: Strata,
    traces: Int
  ) -> [String] {
    var caveats: [String] = []
    if !(gap.low > 0) && within.low > 0 {
      caveats.append(
        "the slow batch as a whole is not significantly slower (gap \(format(gap.value)) ms, 95% interval "
          + "[\(format(gap.low)), \(format(gap.high))]), but within endpoints it is (\(format(within.value)) ms, "
          + "[\(format(within.low)), \(format(within.high))]): the mix of endpoints hides it; shares are of the "
          + "within-endpoint gap")
    } else if !(gap.low > 0) {
      caveats.append(
        "the slow batch is not significantly slower (gap \(format(gap.value)) ms, 95% interval "
          + "[\(format(gap.low)), \(format(gap.high))]): the suspects below are changes, not causes of a slowdown")
    }
    let pooled = strata.pooledEndpoints
    if pooled.endpoints > 1 {
      caveats.append(
        "\(pooled.endpoints) endpoints with fewer than \(Strata.minimumTracesPerCell) traces in a batch are compared "
          + "together as one (\(pooled.traces) traces)")
    }
    if !suspects.contains(where: \.isSignificant) {
      caveats.append(
        "nothing is significant at a false discovery rate of \(format(level)): "
          + "the ranking below is a best guess, not a finding")
      // Power: the standard error shrinks as 1/√n, so reaching z = 1.96 + 0.84 (5% two-sided,
      // 80% power) needs (2.8/z)² times the traces of the smaller batch.
      if let best = suspects.max(by: { $0.contribution.value < $1.contribution.value }),
        best.contribution.value > 0, best.contribution.pValue > 0, best.contribution.pValue.isFinite
      {
        let z = inverseNormal(1 - best.contribution.pValue / 2)
        let needed = Double(smallerBatch) * pow(2.8 / max(z, 0.1), 2)
        if needed > Double(smallerBatch) && needed.isFinite {
          caveats.append(
            "to detect an effect the size of the best guess (\(format(best.contribution.value)) ms on "
              + "\(best.name)) with 80% power, each batch needs about \(Int(needed.rounded(.up))) traces")
        }
      }
    }
    if strata.excludedTraces == traces {
      caveats.append(
        "the batches share no entry point: the whole gap is endpoint mix, and no span can be "
          + "compared like with like; analyze batches of the same endpoints")
    } else if strata.excludedTraces > 0 {
      caveats.append(
        "\(strata.excludedTraces) traces enter at endpoints only one batch has, or too rare to compare; they "
          + "count in the endpoint mix, not in the comparison")
    }
    return caveats
  }

  private static func format(_ value: Double) -> String { String(format: "%.3g", value) }
}
