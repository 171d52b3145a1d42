import WhyslowFeatures
import WhyslowLinalg

/// One feature of one span key, with the part of the slow−fast latency gap it explains.
public struct Finding: Sendable, Equatable {
  /// The span key and the feature measured.
  public let column: FeatureColumn
  /// βⱼ · (x̄ⱼ,slow − x̄ⱼ,fast), in milliseconds of mean latency.
  public let contributionMillis: Double
  /// `contributionMillis` as a fraction of the gap.
  public let share: Double
  /// Mean of the feature over fast traces (milliseconds for times).
  public let fastMean: Double
  /// Mean of the feature over slow traces.
  public let slowMean: Double
  /// The slow trace in which the feature is largest, to open in a trace viewer.
  public let exampleSlowTraceID: String
}

/// The answer to "why is the slow batch slower": the gap and its ranked explanation.
public struct LatencyAnalysis: Sendable {
  /// Traces in the fast batch.
  public let fastTraces: Int
  /// Traces in the slow batch.
  public let slowTraces: Int
  /// Mean trace latency of the fast batch, milliseconds.
  public let fastMeanLatencyMillis: Double
  /// Mean trace latency of the slow batch, milliseconds.
  public let slowMeanLatencyMillis: Double
  /// Findings ordered by contribution, largest first.
  public let findings: [Finding]
  /// Features left out of the regression because they never vary.
  public let constantColumns: [FeatureColumn]
  /// The ridge penalty used, on the standardized scale.
  public let penalty: Double
  /// What limits how far the answer can be trusted, in plain words.
  public let caveats: [String]

  /// The mean latency gap Δ = mean(slow) − mean(fast), milliseconds.
  public var gapMillis: Double { slowMeanLatencyMillis - fastMeanLatencyMillis }
  /// The part of the gap the findings do not account for: Δ − Σ contributions.
  public var unexplainedMillis: Double {
    gapMillis - findings.reduce(0) { $0 + $1.contributionMillis }
  }
}

/// A batch too small to analyze.
public enum StatisticsError: Error, Equatable, CustomStringConvertible {
  /// Each batch needs at least `needed` traces.
  case tooFewTraces(fast: Int, slow: Int, needed: Int)

  public var description: String {
    switch self {
    case .tooFewTraces(let fast, let slow, let needed):
      return
        "too few traces to compare batches: \(fast) fast and \(slow) slow; each batch needs at "
        + "least \(needed)"
    }
  }
}

/// Oaxaca–Blinder style contribution analysis of the slow−fast latency gap.
///
/// Trace latency is regressed on the explanatory features (see `FeatureKind.isExplanatory`)
/// over both batches together (ridge, with an unpenalized intercept); each feature's
/// contribution to the mean gap is
/// cⱼ = βⱼ (x̄ⱼ,slow − x̄ⱼ,fast). With an intercept and a linear model, Σ cⱼ equals the gap of
/// the fitted means; the rest is reported as unexplained. Assumes latency is close to linear in
/// the features, which holds for self-time on the critical path and fails off it, where the
/// regression learns a coefficient near 0. Reference: Oaxaca (1973), Blinder (1973).
public enum ContributionAnalysis {
  /// Fewest traces per batch for which a mean and a slope can be estimated at all.
  public static let minimumTracesPerBatch = 2
  /// Ridge penalty relative to n on the standardized scale: small enough to leave
  /// well-determined coefficients unchanged (about 1e-6 relative), large enough to make
  /// collinear or p > n systems solvable.
  public static let relativePenalty = 1e-6

  /// Analyzes a fast/slow feature matrix.
  public static func analyze(_ matrix: FeatureMatrix) throws -> LatencyAnalysis {
    let slowRows = matrix.isSlow.indices.filter { matrix.isSlow[$0] }
    let fastRows = matrix.isSlow.indices.filter { !matrix.isSlow[$0] }
    guard fastRows.count >= minimumTracesPerBatch, slowRows.count >= minimumTracesPerBatch else {
      throw StatisticsError.tooFewTraces(
        fast: fastRows.count, slow: slowRows.count, needed: minimumTracesPerBatch)
    }
    let explanatory = matrix.columns.indices.filter { matrix.columns[$0].kind.isExplanatory }
    let design = Matrix(
      rows: matrix.traceCount, columns: explanatory.count,
      values: explanatory.flatMap { matrix.column($0) })
    let penalty = relativePenalty * Double(matrix.traceCount)
    let fit = try RidgeRegression.fit(
      design: design, response: matrix.latencyMillis, penalty: penalty)
    let dropped = Set(fit.droppedColumns.map { explanatory[$0] })

    let fastLatency = mean(fastRows.map { matrix.latencyMillis[$0] })
    let slowLatency = mean(slowRows.map { matrix.latencyMillis[$0] })
    let gap = slowLatency - fastLatency
    let findings = explanatory.indices.filter { !dropped.contains(explanatory[$0]) }.map {
      position in
      let column = explanatory[position]
      let values = matrix.column(column)
      let base = values.startIndex
      let fastMean = mean(fastRows.map { values[base + $0] })
      let slowMean = mean(slowRows.map { values[base + $0] })
      let contribution = fit.coefficients[position] * (slowMean - fastMean)
      let example = slowRows.max { values[base + $0] < values[base + $1] } ?? slowRows[0]
      return Finding(
        column: matrix.columns[column], contributionMillis: contribution,
        share: contribution / gap, fastMean: fastMean, slowMean: slowMean,
        exampleSlowTraceID: matrix.traceIDs[example])
    }
    .sorted { ($0.contributionMillis, $1.column.key) > ($1.contributionMillis, $0.column.key) }

    var caveats: [String] = []
    if gap <= 0 {
      caveats.append(
        "the slow batch is not slower on average (gap \(gap) ms): contributions explain a "
          + "non-positive gap")
    }
    let keptColumns = explanatory.count - dropped.count
    if matrix.traceCount <= keptColumns + 1 {
      caveats.append(
        "\(keptColumns) varying features but only \(matrix.traceCount) traces: the regression is "
          + "underdetermined and its coefficients are shrunk guesses; add at least "
          + "\(keptColumns + 2 - matrix.traceCount) traces")
    }
    return LatencyAnalysis(
      fastTraces: fastRows.count, slowTraces: slowRows.count,
      fastMeanLatencyMillis: fastLatency, slowMeanLatencyMillis: slowLatency,
      findings: findings, constantColumns: fit.droppedColumns.map { matrix.columns[explanatory[$0]] },
      penalty: penalty, caveats: caveats)
  }

  private static func mean(_ values: [Double]) -> Double {
    values.reduce(0, +) / Double(values.count)
  }
}
