import Dispatch
import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowLinalg

/// One feature of one span key, with the part of the slow−fast latency gap it explains.
public struct Finding: Sendable {
  /// The span key and the feature measured (and the callee for `network_gap`).
  public let column: FeatureColumn
  /// βⱼ: ms of latency per unit of the feature (least squares on the tested features and
  /// endpoint indicators).
  public let coefficient: Double
  /// The coefficient's HC3 standard error.
  public let coefficientStandardError: Double
  /// βⱼ · dⱼ: the coefficient times the within-endpoint difference of means, ms of latency.
  public let contributionMillis: Double
  /// `contributionMillis` as a fraction of the gap.
  public let share: Double
  /// 95% bootstrap percentile interval of the contribution, ms.
  public let ciLowMillis: Double
  public let ciHighMillis: Double
  /// Two-sided p-value of "contribution = 0" (delta method with HC3 errors).
  public let pValue: Double
  /// Benjamini–Hochberg q-value across all tested findings.
  public let qValue: Double
  /// Mean of the feature over fast traces (ms for times).
  public let fastMean: Double
  /// Mean of the feature over slow traces.
  public let slowMean: Double
  /// The slow trace in which the feature is largest, to open in a trace viewer.
  public let exampleSlowTraceID: String

  /// Whether the finding passes the false discovery rate `level`.
  public func isSignificant(at level: Double) -> Bool { qValue < level }
}

/// A span key's share of the gap on the critical path: the exact, model-free accounting.
public struct CriticalPathShare: Sendable {
  public let key: SpanKey
  /// Within-endpoint difference of mean critical-path time, ms; these sum to the
  /// within-endpoint gap exactly.
  public let contributionMillis: Double
  /// 95% bootstrap percentile interval, ms.
  public let ciLowMillis: Double
  public let ciHighMillis: Double
  /// Benjamini–Hochberg q-value across all span keys of "no difference" (the stratified
  /// difference over its standard error, two-sided).
  public let qValue: Double
  /// The slow trace with the most critical-path time in this key.
  public let exampleSlowTraceID: String
}

/// What to look at: a span key whose critical-path time grew, or the network to a callee
/// service when client spans grew by their network gap; with the findings that say why.
public struct Suspect: Sendable {
  /// "service operation", or "network to SERVICE".
  public let name: String
  /// The service to look at (the callee for network gaps).
  public let service: String
  /// Its share of the within-endpoint gap on the critical path, ms (exact accounting).
  public let contributionMillis: Double
  public let share: Double
  /// 95% bootstrap interval of the contribution, ms.
  public let ciLowMillis: Double
  public let ciHighMillis: Double
  /// Two-sided p-value of its critical-path difference (the stratified difference over its
  /// standard error).
  public let pValue: Double
  /// The Benjamini–Hochberg q-value (across suspects) of its critical-path difference.
  public let qValue: Double
  /// The span keys it covers.
  public let keys: [SpanKey]
  /// Findings on its keys that explain the growth, largest contribution first.
  public let findings: [Finding]
  /// Whether its critical-path growth is significant and positive.
  public let isSignificant: Bool
  public let exampleSlowTraceID: String
}

/// An attribute value's prevalence in both batches and the time it carries on its span.
public struct AttributeEffect: Sendable {
  /// The `attr:KEY=VALUE` column of a span key.
  public let column: FeatureColumn
  /// Share of fast and of slow traces whose spans of the key carry the value.
  public let fastPrevalence: Double
  public let slowPrevalence: Double
  /// Mean self-time of the key in traces with the value minus in traces without it, ms.
  public let carriedMillis: Double
  /// How much slower the key is in slow than in fast traces when it carries the value, ms.
  public let slowdownWithValueMillis: Double
  /// Two-proportion z-test of equal prevalence, with its Benjamini–Hochberg q-value across all
  /// attribute values.
  public let prevalenceQValue: Double
  /// Welch z-test of equal self-time with the value in both batches, with its q-value.
  public let slowdownQValue: Double

  /// Whether the value is significantly more common in slow traces, or significantly slower
  /// there, at false discovery rate `level`.
  public func matters(at level: Double) -> Bool {
    (prevalenceQValue < level && slowPrevalence > fastPrevalence && carriedMillis > 0)
      || (slowdownQValue < level && slowdownWithValueMillis > 0)
  }
}

/// The answer to "why is the slow batch slower", with how sure it is.
public struct LatencyAnalysis: Sendable {
  public let fastTraces: Int
  public let slowTraces: Int
  public let fastMeanLatencyMillis: Double
  public let slowMeanLatencyMillis: Double
  /// The part of the gap within entry points, weighted by the slow batch's mix.
  public let withinEndpointGapMillis: Double
  /// Entry points with their share of fast and slow traces, most slow traces first.
  public let endpointMix: [(endpoint: SpanKey, fastShare: Double, slowShare: Double)]
  /// Exact accounting of the within-endpoint gap over span keys' critical-path time.
  public let criticalPath: [CriticalPathShare]
  /// Tested findings, largest contribution first.
  public let findings: [Finding]
  /// Suspects, largest contribution first.
  public let suspects: [Suspect]
  /// Attribute values whose prevalence differs between the batches, most significant first.
  public let attributeEffects: [AttributeEffect]

  /// Services by the critical-path growth of their suspects (a network suspect counts for its
  /// callee), largest first: the service-level answer. Only growth counts (positive
  /// contributions), so a service that got faster somewhere is not credited for it.
  public var services: [(service: String, contributionMillis: Double)] {
    var total: [String: Double] = [:]
    for suspect in suspects where suspect.contributionMillis > 0 {
      total[suspect.service, default: 0] += suspect.contributionMillis
    }
    return total.map { (service: $0.key, contributionMillis: $0.value) }
      .sorted { ($0.contributionMillis, $1.service) > ($1.contributionMillis, $0.service) }
  }
  /// The ridge penalty chosen by GCV for screening (standardized scale).
  public let penalty: Double
  /// The false discovery rate findings are judged at.
  public let falseDiscoveryRate: Double
  /// What limits how far the answer can be trusted, in plain words.
  public let caveats: [String]

  /// The mean latency gap Δ = mean(slow) − mean(fast), ms.
  public var gapMillis: Double { slowMeanLatencyMillis - fastMeanLatencyMillis }
  /// The part of the gap due to the slow batch's different mix of entry points.
  public var endpointMixMillis: Double { gapMillis - withinEndpointGapMillis }
  /// The within-endpoint gap that the tested findings do not account for.
  public var unexplainedMillis: Double {
    withinEndpointGapMillis - findings.reduce(0) { $0 + $1.contributionMillis }
  }
  /// Whether any suspect is significant.
  public var hasSignificantSuspect: Bool { suspects.contains { $0.isSignificant && $0.contributionMillis > 0 } }
}

/// How the analysis runs.
public struct AnalysisOptions: Sendable {
  /// Findings with a Benjamini–Hochberg q-value below this are significant.
  public var falseDiscoveryRate = 0.05
  /// The features with the largest screening contributions carried to inference.
  public var testedFindings = 50
  /// Bootstrap replicates for the intervals.
  public var bootstrapReplicates = 200
  /// Seed of the bootstrap (a fixed seed keeps the output byte-identical).
  public var seed: UInt64 = 1
  /// Up to this many traces each replicate refits exactly (a weighted Gram matrix and a
  /// Cholesky solve); beyond it, the one-step linearization β_b = β + A⁻¹Xᵀdiag(e)(w_b − 1)
  /// serves all replicates with one `dgemm`. Its error is O(1/n) while the intervals'
  /// width is O(1/√n), so above 20,000 traces it changes no reported digit that matters.
  /// Reference: Hu & Kalbfleisch (2000), Canadian J. Statistics 28(3).
  public var exactBootstrapLimit = 20_000

  public init(
    falseDiscoveryRate: Double = 0.05, testedFindings: Int = 50, bootstrapReplicates: Int = 200,
    seed: UInt64 = 1, exactBootstrapLimit: Int = 20_000
  ) {
    self.exactBootstrapLimit = exactBootstrapLimit
    self.falseDiscoveryRate = falseDiscoveryRate
    self.testedFindings = testedFindings
    self.bootstrapReplicates = bootstrapReplicates
    self.seed = seed
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
        "too few traces for a trustworthy answer: \(fast) fast and \(slow) slow; each batch "
        + "needs at least \(needed)"
    }
  }
}

/// Explains the slow−fast latency gap in milliseconds, with confidence.
///
/// 1. Entry points: Δ splits into a within-endpoint gap W = Σₑ wₑ(μₑ,slow − μₑ,fast), wₑ the
///    slow batch's mix over endpoints both batches have, and the endpoint mix Δ − W.
/// 2. Exact accounting: critical-path times partition each trace's latency, so the stratified
///    differences of their means over span keys sum to W exactly.
/// 3. Screening: latency on the explanatory features plus endpoint indicators, ridge with the
///    penalty chosen by generalized cross-validation (one eigendecomposition).
/// 4. Contribution (Oaxaca–Blinder): cⱼ = βⱼ dⱼ, dⱼ the stratified difference of means.
/// 5. Inference on the `testedFindings` largest |cⱼ|: refit by least squares with HC3 errors;
///    se(cⱼ)² = dⱼ² se(βⱼ)² + βⱼ² var(dⱼ) (delta method) gives p-values, Benjamini–Hochberg
///    gives q-values; 95% intervals by a stratified bootstrap over traces (a weighted Gram
///    matrix per replicate).
/// References: Oaxaca (1973); Blinder (1973); MacKinnon & White (1985); Benjamini & Hochberg
/// (1995); Efron & Tibshirani (1993).
public enum ContributionAnalysis {
  /// Fewest traces per batch for which a mean and a slope can be estimated at all.
  public static let minimumTracesPerBatch = 2
  /// Residual degrees of freedom kept for inference: with fewer, HC3 errors rest on a handful
  /// of residuals with leverage near 1 and normal p-values would claim certainty they lack.
  public static let minimumResidualDegrees = 10

  public static func analyze(_ matrix: FeatureMatrix, options: AnalysisOptions = AnalysisOptions()) throws
    -> LatencyAnalysis
  {
    let n = matrix.traceCount
    let slowCount = matrix.isSlow.filter { $0 }.count
    let fastCount = n - slowCount
    guard fastCount >= minimumTracesPerBatch, slowCount >= minimumTracesPerBatch else {
      throw StatisticsError.tooFewTraces(fast: fastCount, slow: slowCount, needed: minimumTracesPerBatch)
    }
    let strata = Strata(matrix)
    let y = matrix.latencyMillis
    let unit = [Double](repeating: 1, count: n)
    let fastLatency = strata.batchMean(y, weights: unit, slow: false)
    let slowLatency = strata.batchMean(y, weights: unit, slow: true)
    let within = strata.differences(Matrix(rows: n, columns: 1, values: y), weights: unit)[0]

    // Exact accounting over critical-path time, and the network growth of client keys.
    let criticalColumns = matrix.columns.indices.filter { matrix.columns[$0].kind == .criticalTime }
    let critical = Matrix(rows: n, columns: criticalColumns.count, values: matrix.columnMajor(criticalColumns))
    let criticalDifferences = strata.differences(critical, weights: unit)
    let networkColumns = matrix.columns.indices.filter { matrix.columns[$0].kind == .networkGap }
    let networkDifferences = strata.differences(
      Matrix(rows: n, columns: networkColumns.count, values: matrix.columnMajor(networkColumns)),
      weights: unit)
    let groups = suspectGroups(
      keys: criticalColumns.map { matrix.columns[$0].key }, growth: criticalDifferences,
      network: zip(networkColumns, networkDifferences).map { (matrix.columns[$0], $1) })
    var suspectValues = [Double](repeating: 0, count: n * groups.count)
    for (index, group) in groups.enumerated() {
      for member in group.members {
        for row in 0..<n { suspectValues[index * n + row] += critical[row, member] }
      }
    }
    let suspectMatrix = Matrix(rows: n, columns: groups.count, values: suspectValues)
    // Differences are linear in the columns: a suspect's is the sum of its keys'.
    func sumOverMembers(_ keyDifferences: [Double]) -> [Double] {
      groups.map { group in group.members.reduce(0) { $0 + keyDifferences[$1] } }
    }
    let suspectDifferences = sumOverMembers(criticalDifferences)

    // Screening ridge on explanatory features and endpoint indicators. When the explanatory
    // columns lead the matrix's storage (as FeatureMatrix builds it) the design shares it.
    let explanatory = matrix.columns.indices.filter { matrix.columns[$0].kind.isExplanatory }
    let design =
      explanatory == Array(0..<explanatory.count)
      ? Matrix(prefixOf: matrix.values, rows: n, columns: explanatory.count)
      : Matrix(rows: n, columns: explanatory.count, values: matrix.columnMajor(explanatory))
    let indicatorColumns = strata.indicatorColumns()
    let indicators = Matrix(rows: n, columns: indicatorColumns.count, values: indicatorColumns.flatMap { $0 })
    let system = StandardizedSystem(design: design, extra: indicators, response: y)
    let gcv = try system.generalizedCrossValidation(grid: RidgeRegression.penaltyGrid(rows: n))
    let screening = try system.fit(penalty: gcv.penalty)
    let differences = strata.differences(design, weights: unit)
    let dropped = Set(screening.droppedColumns)
    let screened = explanatory.indices.filter { !dropped.contains($0) }
      .sorted {
        (abs(screening.coefficients[$0] * differences[$0]), $1) > (abs(screening.coefficients[$1] * differences[$1]), $0)
      }
    // HC3 errors and normal p-values need residual degrees of freedom: keep at least
    // `minimumResidualDegrees` of them, or test nothing and say so.
    let testable = max(0, n - indicators.columns - 1 - minimumResidualDegrees)
    let tested = Array(screened.prefix(min(options.testedFindings, testable)))
    guard !tested.isEmpty else {
      throw StatisticsError.tooFewTraces(
        fast: fastCount, slow: slowCount,
        needed: (indicators.columns + 2 + minimumResidualDegrees + 1) / 2 + 1)
    }

    // Inference on the tested features.
    let testedColumns = Matrix(rows: n, columns: tested.count, values: matrix.columnMajor(tested.map { explanatory[$0] }))
    let inferenceDesign = Matrix(
      rows: n, columns: tested.count + indicators.columns, values: testedColumns.values + indicators.values)
    let ridge = stabilizingPenalty(inferenceDesign)
    let inference = try RobustRegression.fit(design: inferenceDesign, response: y, penalty: ridge)
    var pValues: [Double] = []
    var contributions: [Double] = []
    for (position, index) in tested.enumerated() {
      let beta = inference.coefficients[position + 1]
      let betaError = inference.standardErrors[position + 1]
      let d = differences[index]
      let varianceOfD = strata.varianceOfDifference(Array(testedColumns.column(position)))
      let error = (d * d * betaError * betaError + beta * beta * varianceOfD).squareRoot()
      contributions.append(beta * d)
      pValues.append(error > 0 ? erfc(abs(beta * d / error) / 2.squareRoot()) : .nan)
    }
    let qValues = benjaminiHochberg(pValues)

    // Stratified bootstrap: tested contributions, key and suspect shares of the critical path.
    var random = SeededRandom(seed: options.seed)
    var contributionDraws = [[Double]](repeating: [], count: tested.count)
    var criticalDraws = [[Double]](repeating: [], count: criticalColumns.count)
    var suspectDraws = [[Double]](repeating: [], count: groups.count)
    let x = Matrix(rows: n, columns: inferenceDesign.columns + 1, values: unit + inferenceDesign.values)
    let replicates = (0..<options.bootstrapReplicates).map { _ in strata.bootstrapWeights(&random) }
    let orderedBlocks = [strata.cellOrdered(testedColumns), strata.cellOrdered(critical)]
    let linearized =
      n > options.exactBootstrapLimit
      ? try LinearizedBootstrap(x, y, ridge: ridge, fit: inference.coefficients) : nil
    let chunk = 25  // replicates per batched dgemm, to bound the weight matrix's memory
    for first in stride(from: 0, to: replicates.count, by: chunk) {
      let sets = Array(replicates[first..<min(first + chunk, replicates.count)])
      let batched = strata.differences(orderedBlocks, weightSets: sets)
      let (testedDifferences, criticalSets) = (batched[0], batched[1])
      let suspectSets = criticalSets.map(sumOverMembers)
      let betas =
        try linearized?.coefficients(sets) ?? bootstrapCoefficients(x, y, sets, ridge: ridge)
      for (offset, beta) in betas.enumerated() {
        guard let beta else { continue }
        for (position, d) in testedDifferences[offset].enumerated() {
          contributionDraws[position].append(beta[position + 1] * d)
        }
        for (position, d) in criticalSets[offset].enumerated() { criticalDraws[position].append(d) }
        for (position, d) in suspectSets[offset].enumerated() { suspectDraws[position].append(d) }
      }
    }

    let gap = slowLatency - fastLatency
    let slowRows = matrix.isSlow.indices.filter { matrix.isSlow[$0] }
    func example(_ values: ArraySlice<Double>) -> String {
      matrix.traceIDs[slowRows.max { values[values.startIndex + $0] < values[values.startIndex + $1] } ?? slowRows[0]]
    }
    let findings = tested.enumerated().map { position, index -> Finding in
      let column = explanatory[index]
      let values = matrix.column(column)
      let interval = percentileInterval(contributionDraws[position])
      return Finding(
        column: matrix.columns[column], coefficient: inference.coefficients[position + 1],
        coefficientStandardError: inference.standardErrors[position + 1],
        contributionMillis: contributions[position],
        share: contributions[position] / gap, ciLowMillis: interval.low, ciHighMillis: interval.high,
        pValue: pValues[position], qValue: qValues[position],
        fastMean: strata.batchMean(Array(values), weights: unit, slow: false),
        slowMean: strata.batchMean(Array(values), weights: unit, slow: true),
        exampleSlowTraceID: example(values))
    }
    .sorted { ($0.contributionMillis, $1.column.key) > ($1.contributionMillis, $0.column.key) }

    func testOfDifference(_ matrix: Matrix, _ column: Int, _ d: Double) -> Double {
      let error = strata.varianceOfDifference(Array(matrix.column(column))).squareRoot()
      return error > 0 ? erfc(abs(d / error) / 2.squareRoot()) : .nan
    }
    let criticalQ = benjaminiHochberg(criticalDifferences.indices.map { testOfDifference(critical, $0, criticalDifferences[$0]) })
    let criticalPath = criticalColumns.enumerated().map { position, column -> CriticalPathShare in
      let interval = percentileInterval(criticalDraws[position])
      return CriticalPathShare(
        key: matrix.columns[column].key, contributionMillis: criticalDifferences[position],
        ciLowMillis: interval.low, ciHighMillis: interval.high, qValue: criticalQ[position],
        exampleSlowTraceID: example(matrix.column(column)))
    }
    .sorted { ($0.contributionMillis, $1.key) > ($1.contributionMillis, $0.key) }

    let suspectP = suspectDifferences.indices.map { testOfDifference(suspectMatrix, $0, suspectDifferences[$0]) }
    let suspectQ = benjaminiHochberg(suspectP)
    let findingsByKey = Dictionary(grouping: findings, by: \.column.key)
    let suspects = groups.enumerated().map { index, group -> Suspect in
      let interval = percentileInterval(suspectDraws[index])
      let keys = group.members.map { matrix.columns[criticalColumns[$0]].key }
      let evidence = keys.flatMap { findingsByKey[$0] ?? [] }.filter { $0.contributionMillis > 0 }
        .sorted { ($0.contributionMillis, $1.column.key) > ($1.contributionMillis, $0.column.key) }
      let contribution = suspectDifferences[index]
      return Suspect(
        name: group.name, service: group.service, contributionMillis: contribution,
        share: contribution / gap, ciLowMillis: interval.low, ciHighMillis: interval.high,
        pValue: suspectP[index], qValue: suspectQ[index], keys: keys, findings: evidence,
        isSignificant: suspectQ[index] < options.falseDiscoveryRate && contribution > 0,
        exampleSlowTraceID: example(suspectMatrix.column(index)))
    }
    .sorted { ($0.contributionMillis, $1.name) > ($1.contributionMillis, $0.name) }

    var caveats: [String] = []
    if gap <= 0 {
      caveats.append("the slow batch is not slower on average (gap \(format(gap)) ms)")
    }
    if !suspects.contains(where: { $0.isSignificant && $0.contributionMillis > 0 }) {
      caveats.append(
        "nothing is significant at a false discovery rate of \(format(options.falseDiscoveryRate)): "
          + "the ranking below is a best guess, not a finding")
      // Power: the standard error shrinks as 1/√n, so reaching z = 1.96 + 0.84 (5% two-sided,
      // 80% power) needs (2.8/z)² times the traces of the smaller batch.
      if let best = suspects.first, best.contributionMillis > 0, best.pValue > 0, best.pValue.isFinite {
        let z = inverseNormal(1 - best.pValue / 2)
        let needed = Double(min(fastCount, slowCount)) * pow(2.8 / max(z, 0.1), 2)
        if needed > Double(min(fastCount, slowCount)) && needed.isFinite {
          caveats.append(
            "to detect an effect the size of the best guess (\(format(best.contributionMillis)) ms on "
              + "\(best.name)) with 80% power, each batch needs about \(Int(needed.rounded(.up))) traces")
        }
      }
    }
    if strata.excludedTraces == n {
      caveats.append(
        "the batches share no entry point: the whole gap is endpoint mix, and no span can be "
          + "compared like with like; analyze batches of the same endpoints")
    } else if strata.excludedTraces > 0 {
      caveats.append(
        "\(strata.excludedTraces) traces enter at endpoints only one batch has; they count in the "
          + "endpoint mix, not in the comparison")
    }
    return LatencyAnalysis(
      fastTraces: fastCount, slowTraces: slowCount, fastMeanLatencyMillis: fastLatency,
      slowMeanLatencyMillis: slowLatency, withinEndpointGapMillis: within,
      endpointMix: strata.mix(), criticalPath: criticalPath, findings: findings,
      suspects: suspects, attributeEffects: attributeEffects(matrix), penalty: gcv.penalty, falseDiscoveryRate: options.falseDiscoveryRate,
      caveats: caveats)
  }

  /// For each `attr:KEY=VALUE` column: prevalence in fast and slow traces with a two-proportion
  /// z-test (pooled variance), the self-time the value carries on its span key, and how much
  /// slower the key is with the value in slow than in fast traces (Welch z-test).
  private static func attributeEffects(_ matrix: FeatureMatrix) -> [AttributeEffect] {
    let selfTime = Dictionary(
      matrix.columns.indices.filter { matrix.columns[$0].kind == .selfTime }.map { (matrix.columns[$0].key, $0) },
      uniquingKeysWith: { first, _ in first })
    let slowCount = Double(matrix.isSlow.filter { $0 }.count)
    let fastCount = Double(matrix.traceCount) - slowCount
    struct Moments {
      var count = 0.0, sum = 0.0, squares = 0.0
      mutating func add(_ x: Double) { count += 1; sum += x; squares += x * x }
      var mean: Double { count > 0 ? sum / count : .nan }
      var varianceOfMean: Double { count > 1 ? (squares - sum * sum / count) / (count - 1) / count : .nan }
    }
    var rows: [(FeatureColumn, Double, Double, Double, Double, Double, Double)] = []
    for (index, column) in matrix.columns.enumerated() {
      guard case .attribute = column.kind else { continue }
      let values = matrix.column(index)
      let time = selfTime[column.key].map { matrix.column($0) }
      var slowHits = 0.0
      var fastHits = 0.0
      var with = Moments()
      var without = Moments()
      var slowWith = Moments()
      var fastWith = Moments()
      for (row, value) in values.enumerated() {
        let present = value > 0
        if present { if matrix.isSlow[row] { slowHits += 1 } else { fastHits += 1 } }
        guard let time else { continue }
        let t = time[time.startIndex + row]
        if present {
          with.add(t)
          if matrix.isSlow[row] { slowWith.add(t) } else { fastWith.add(t) }
        } else {
          without.add(t)
        }
      }
      let pooled = (slowHits + fastHits) / (slowCount + fastCount)
      let error = (pooled * (1 - pooled) * (1 / slowCount + 1 / fastCount)).squareRoot()
      let prevalenceP = error > 0 ? erfc(abs((slowHits / slowCount - fastHits / fastCount) / error) / 2.squareRoot()) : .nan
      let slowdown = slowWith.mean - fastWith.mean
      let slowdownError = (slowWith.varianceOfMean + fastWith.varianceOfMean).squareRoot()
      let slowdownP = slowdownError > 0 ? erfc(abs(slowdown / slowdownError) / 2.squareRoot()) : .nan
      rows.append((column, fastHits / fastCount, slowHits / slowCount, with.mean - without.mean, slowdown, prevalenceP, slowdownP))
    }
    let prevalenceQ = benjaminiHochberg(rows.map(\.5))
    let slowdownQ = benjaminiHochberg(rows.map(\.6))
    return rows.indices.map { index in
      let row = rows[index]
      return AttributeEffect(
        column: row.0, fastPrevalence: row.1, slowPrevalence: row.2, carriedMillis: row.3,
        slowdownWithValueMillis: row.4, prevalenceQValue: prevalenceQ[index], slowdownQValue: slowdownQ[index])
    }
    .sorted {
      (min($0.prevalenceQValue, $0.slowdownQValue), $1.column.key) < (min($1.prevalenceQValue, $1.slowdownQValue), $0.column.key)
    }
  }

  /// One-step bootstrap coefficients β + A⁻¹ Xᵀ diag(e) (w_b − 1), with A = XᵀX + λD and e the
  /// full fit's residuals: factored once, then one `dgemm` and one Cholesky solve per batch of
  /// replicates.
  private struct LinearizedBootstrap {
    let beta: [Double]
    let factor: CholeskyFactor
    /// Row i: eᵢ xᵢ.
    let scores: Matrix

    init(_ x: Matrix, _ y: [Double], ridge: Double, fit beta: [Double]) throws {
      var normal = x.gram()
      for column in 1..<x.columns { normal[column, column] += ridge }
      self.beta = beta
      factor = try CholeskyFactor(normal)
      scores = x.scalingRows(by: zip(y, x.times(beta)).map { $0 - $1 })
    }

    func coefficients(_ sets: [[Double]]) throws -> [[Double]?] {
      var excess = Matrix(zeros: scores.rows, sets.count)
      for (set, weights) in sets.enumerated() {
        for row in 0..<scores.rows { excess[row, set] = weights[row] - 1 }
      }
      let steps = try factor.solve(scores.transposeTimes(excess))  // columns × sets
      return sets.indices.map { set in beta.indices.map { beta[$0] + steps[$0, set] } }
    }
  }

  /// The least-squares coefficients of each bootstrap replicate (nil where its system is
  /// singular): XᵀWX over the rows drawn at least once, scaled by √w. Replicates run on every
  /// core, each worker with its own scratch buffer and single-threaded BLAS.
  private static func bootstrapCoefficients(
    _ x: Matrix, _ y: [Double], _ sets: [[Double]], ridge: Double
  ) -> [[Double]?] {
    let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, sets.count))
    let threads = BLASThreads.current
    BLASThreads.set(1)
    defer { BLASThreads.set(threads) }
    let results = ConcurrentSlots<[Double]>(count: sets.count)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      var scratch: [Double] = []
      for index in stride(from: worker, to: sets.count, by: workers) {
        let weights = sets[index]
        let drawn = weights.indices.filter { weights[$0] > 0 }
        var normal = x.gram(ofRows: drawn, scaledBy: drawn.map { weights[$0].squareRoot() }, scratch: &scratch)
        for column in 1..<x.columns { normal[column, column] += ridge }
        let beta = (try? CholeskyFactor(normal)).flatMap { try? $0.solve(x.transposeTimes(zip(y, weights).map(*))) }
        results.set(index, beta)
      }
    }
    return results.values
  }

  /// A penalty just large enough to keep near-collinear tested columns solvable (10⁻⁸ of the
  /// mean diagonal of the Gram matrix): far below what would move a well-determined slope.
  private static func stabilizingPenalty(_ design: Matrix) -> Double {
    guard design.columns > 0 else { return 0 }
    let gram = design.gram()
    let trace = (0..<design.columns).reduce(0) { $0 + gram[$1, $1] }
    return 1e-8 * trace / Double(design.columns)
  }

  /// What each span key is a suspect as: itself, or "network to CALLEE" when its critical-path
  /// growth is mostly the growth of its network gap to that callee (keys to one callee merge).
  private static func suspectGroups(
    keys: [SpanKey], growth: [Double], network: [(column: FeatureColumn, growth: Double)]
  ) -> [(name: String, service: String, members: [Int])] {
    let networkByKey = Dictionary(grouping: network, by: \.column.key)
    var groups: [(name: String, service: String, members: [Int])] = []
    var index: [String: Int] = [:]
    for (member, key) in keys.enumerated() {
      var name = key.description
      var service = key.service
      if growth[member] > 0, let gap = networkByKey[key]?.max(by: { $0.growth < $1.growth }),
        gap.growth >= 0.5 * growth[member]
      {
        name = "network to \(gap.column.peerService)"
        service = gap.column.peerService
      }
      if let existing = index[name] {
        groups[existing].members.append(member)
      } else {
        index[name] = groups.count
        groups.append((name, service, [member]))
      }
    }
    return groups
  }

  private static func percentileInterval(_ draws: [Double]) -> (low: Double, high: Double) {
    guard draws.count >= 20 else { return (.nan, .nan) }
    let sorted = draws.sorted()
    return (percentile(sorted, 0.025), percentile(sorted, 0.975))
  }

  private static func format(_ value: Double) -> String { String(format: "%.3g", value) }
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
func inverseNormal(_ p: Double) -> Double {
  let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
  let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
  let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
  let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
  let p = min(max(p, 1e-300), 1 - 1e-16)
  if p < 0.02425 {
    let q = (-2 * log(p)).squareRoot()
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
  }
  if p > 1 - 0.02425 { return -inverseNormal(1 - p) }
  let q = p - 0.5
  let r = q * q
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
}
