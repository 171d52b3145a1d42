import Foundation
import WhyslowFeatures
import WhyslowLinalg

/// Traces grouped into strata by entry point, for comparing like with like, and the
/// stratified difference of means with its variance.
///
/// An endpoint with at least `minimumTracesPerCell` traces in each batch is a stratum of its
/// own. The other endpoints that both batches have are pooled into one stratum, compared when
/// it too holds that many traces in each batch; traces of endpoints only one batch has, or of a
/// pool too small, are left out of comparisons and show up in the endpoint mix. A stratum is
/// weighted by its share of both batches' traces in strata (wₛ), so swapping the batches only
/// flips the sign of every difference and leaves every variance as it was.
///
/// Within the pool, endpoints are standardized: each trace is weighted so that every member
/// endpoint has the same share of the pool in both batches (its share of both batches' pooled
/// traces), and a cell's mean is the weighted one. Unweighted, a pool whose members differ in
/// latency would show a difference whenever their shares differ between the batches: the
/// endpoint mix again, inside the pool (on generated meshes of 8-16 endpoints, a mix shift with
/// no cause gave a within-endpoint gap of 6.7 ms [1.6, 11.7]).
///
/// Why a floor on cells: a variance estimated from one to four traces is mostly noise (0 for a
/// lone trace, or for tied, rounded timings), and a lone trace that alone carries a value is
/// invisible to the variance within the cells. On A/A splits of real fault-free minutes
/// (`whyslow eval --null`), tests that trusted such cells starred noise in most splits.
struct Strata {
  /// Fewest traces in each batch for an endpoint, or the pool, to be compared.
  static let minimumTracesPerCell = 5

  private let isSlow: [Bool]
  /// Each row's endpoint (an index into `endpoints`).
  private let endpointOf: [Int]
  private let endpoints: [SpanKey]
  /// Each endpoint's traces in the fast and in the slow batch.
  private let endpointCounts: [(fast: Int, slow: Int)]
  /// Each row's cell: 2·stratum + (slow ? 1 : 0), or `excludedCell` when its endpoint is
  /// compared in no stratum.
  private let cellOf: [Int]
  /// Rows of each cell (the excluded ones last), ascending, as the matrix orders them (by batch,
  /// then trace id): sums run in an order that does not depend on how the traces were read.
  private let rows: [[Int]]
  /// Each stratum's weight wₛ.
  private let weights: [Double]
  /// Each row's weight in its cell's mean (they sum to 1 over a cell): 1/n, or in the pool its
  /// endpoint's share of the pool over its traces in the row's batch; 0 for excluded rows.
  private let rowWeights: [Double]
  /// The pool's rows by endpoint, with the endpoint's share of the pool; empty when no
  /// endpoints are pooled.
  private let poolMembers: [(fast: [Int], slow: [Int], share: Double)]
  /// Whether the last stratum is the pool (its row weights are unequal).
  private var hasPool: Bool { !poolMembers.isEmpty }
  /// The variance a timing rounded to the recorders' resolution r carries at least, r²/12 ms²
  /// (Sheppard): the floor of every cell's variance, so timings that tie because they were
  /// rounded never claim a spread of 0.
  let roundingVariance: Double

  init(_ matrix: FeatureMatrix) {
    let keys = Array(Set(matrix.entryPoints)).sorted()
    let index = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
    let endpointOf = matrix.entryPoints.map { index[$0] ?? 0 }
    var counts = [(fast: Int, slow: Int)](repeating: (0, 0), count: keys.count)
    for (endpoint, slow) in zip(endpointOf, matrix.isSlow) {
      if slow { counts[endpoint].slow += 1 } else { counts[endpoint].fast += 1 }
    }
    let minimum = Self.minimumTracesPerCell
    let own = keys.indices.filter { min(counts[$0].fast, counts[$0].slow) >= minimum }
    let pooled = keys.indices.filter { (1..<minimum).contains(min(counts[$0].fast, counts[$0].slow)) }
    let pool = pooled.reduce((fast: 0, slow: 0)) { ($0.fast + counts[$1].fast, $0.slow + counts[$1].slow) }
    var stratumOf = [Int?](repeating: nil, count: keys.count)
    for (stratum, endpoint) in own.enumerated() { stratumOf[endpoint] = stratum }
    var sizes = own.map { Double(counts[$0].fast + counts[$0].slow) }
    if min(pool.fast, pool.slow) >= minimum {
      for endpoint in pooled { stratumOf[endpoint] = own.count }
      sizes.append(Double(pool.fast + pool.slow))
    }
    let total = sizes.reduce(0, +)
    weights = sizes.map { $0 / total }
    let excludedCell = 2 * sizes.count
    let cellOf = zip(endpointOf, matrix.isSlow).map { endpoint, slow in
      stratumOf[endpoint].map { 2 * $0 + (slow ? 1 : 0) } ?? excludedCell
    }
    self.cellOf = cellOf
    var rows = [[Int]](repeating: [], count: excludedCell + 1)
    for (row, cell) in cellOf.enumerated() { rows[cell].append(row) }
    self.rows = rows
    let pooledTotal = Double(pool.fast + pool.slow)
    rowWeights = zip(endpointOf, matrix.isSlow).enumerated().map { row, entry in
      let (endpoint, slow) = entry
      let cell = cellOf[row]
      guard cell != excludedCell else { return 0 }
      guard cell / 2 == own.count else { return 1 / Double(rows[cell].count) }
      let count = counts[endpoint]
      return Double(count.fast + count.slow) / pooledTotal / Double(slow ? count.slow : count.fast)
    }
    poolMembers =
      sizes.count > own.count
      ? pooled.map { endpoint in
        let members = (rows[2 * own.count] + rows[2 * own.count + 1]).filter { endpointOf[$0] == endpoint }
        return (
          members.filter { !matrix.isSlow[$0] }, members.filter { matrix.isSlow[$0] },
          Double(counts[endpoint].fast + counts[endpoint].slow) / pooledTotal
        )
      } : []
    self.endpointOf = endpointOf
    endpoints = keys
    endpointCounts = counts
    isSlow = matrix.isSlow
    let resolution = Self.resolutionMillis(matrix.latencyMillis)
    roundingVariance = resolution * resolution / 12
  }

  /// The coarsest of 1 ms, 1 µs and 1 ns that every latency is a whole multiple of: the
  /// resolution the traces were recorded at.
  static func resolutionMillis(_ latencies: [Double]) -> Double {
    let nanos = latencies.map { Int64(($0 * 1e6).rounded()) }
    for unit: Int64 in [1_000_000, 1_000] where nanos.allSatisfy({ $0 % unit == 0 }) { return Double(unit) / 1e6 }
    return 1e-6
  }

  private var strataCount: Int { weights.count }

  /// Traces left out of comparisons: their endpoint is in one batch only, or too rare to pool.
  var excludedTraces: Int { rows[2 * strataCount].count }

  /// Endpoints compared in the pool of small endpoints, and their traces (0 when none).
  var pooledEndpoints: (endpoints: Int, traces: Int) {
    guard poolMembers.count > 1 else { return (0, 0) }
    return (poolMembers.count, poolMembers.reduce(0) { $0 + $1.fast.count + $1.slow.count })
  }

  /// The largest |stratified difference| any split of each stratum's traces into cells of
  /// its sizes could give `values`: per stratum, the mean of its nₛ,slow largest values minus
  /// that of the nₛ,fast smallest (or the other way), summed with the weights. It depends on
  /// the values each stratum holds, not on which trace is in which batch.
  func largestPossibleDifference(_ values: ArraySlice<Double>) -> Double {
    var (up, down) = (0.0, 0.0)
    func mean(_ part: ArraySlice<Double>) -> Double { part.reduce(0, +) / Double(part.count) }
    /// The largest difference either way of one group's rows split into cells of their sizes.
    func extremes(_ fast: [Int], _ slow: [Int]) -> (up: Double, down: Double) {
      let sorted = (fast + slow).map { values[values.startIndex + $0] }.sorted(by: >)
      return (
        mean(sorted.prefix(slow.count)) - mean(sorted.suffix(fast.count)),
        mean(sorted.prefix(fast.count)) - mean(sorted.suffix(slow.count))
      )
    }
    for (stratum, weight) in weights.enumerated() {
      let (fast, slow) = (rows[2 * stratum], rows[2 * stratum + 1])
      guard hasPool && stratum == strataCount - 1 else {
        let (one, other) = extremes(fast, slow)
        (up, down) = (up + weight * one, down + weight * other)
        continue
      }
      // The standardized pool: each endpoint split apart, weighted by its share of the pool.
      for member in poolMembers {
        let (one, other) = extremes(member.fast, member.slow)
        (up, down) = (up + weight * member.share * one, down + weight * member.share * other)
      }
    }
    return max(up, down)
  }

  /// The mean of `values` over one batch (all its traces), summed in row order.
  func batchMean(_ values: ArraySlice<Double>, slow: Bool) -> Double {
    var (sum, count) = (0.0, 0.0)
    for row in 0..<isSlow.count where isSlow[row] == slow {
      sum += values[values.startIndex + row]
      count += 1
    }
    return count > 0 ? sum / count : .nan
  }

  /// For each column, the stratified difference Σₛ wₛ (mean over slow traces of s − mean over
  /// fast traces of s), each cell's mean weighted by `rowWeights`. The sums per cell take one pass over the column: each row adds to its
  /// own cell only (a product with a rows × cells matrix would be mostly zeros).
  func differences(_ columns: Matrix) -> [Double] {
    (0..<columns.columns).map { difference(columns.column($0)) }
  }

  /// `differences` of columns held apart (each array one column of every row).
  func differences(_ columns: [[Double]]) -> [Double] {
    columns.map { difference($0[...]) }
  }

  /// The stratified difference of one column.
  func difference(_ values: ArraySlice<Double>) -> Double {
    var sums = [Double](repeating: 0, count: rows.count)
    let base = values.startIndex
    for (row, cell) in cellOf.enumerated() { sums[cell] += rowWeights[row] * values[base + row] }
    return combine(sums)
  }

  /// `differences` of sparse columns (their rows without an entry are 0).
  func differences(_ columns: SparseColumns) -> [Double] {
    differences(columns.entries)
  }

  /// `differences` of sparse columns given one by one (entries ascending by row).
  func differences(_ entries: [SparseColumns.Column]) -> [Double] {
    entries.map { entry in
      var sums = [Double](repeating: 0, count: rows.count)
      for (row, value) in zip(entry.rows, entry.values) { sums[cellOf[Int(row)]] += rowWeights[Int(row)] * value }
      return combine(sums)
    }
  }

  /// Σₛ wₛ (mean(slow cell) − mean(fast cell)) from the cells' weighted sums.
  private func combine(_ sums: [Double]) -> Double {
    var total = 0.0
    for (stratum, weight) in weights.enumerated() {
      total += weight * sums[2 * stratum + 1] - weight * sums[2 * stratum]
    }
    return total
  }

  /// The stratified difference of `values` with its Welch t test (`varianceOfDifference`).
  func differenceTest(_ values: ArraySlice<Double>) -> TTest {
    let (variance, degrees) = varianceOfDifference(values)
    return TTest(estimate: difference(values), standardError: variance.squareRoot(), degreesOfFreedom: degrees)
  }

  /// The variance of the stratified difference of means of `values` and its Welch–
  /// Satterthwaite degrees of freedom:
  ///
  ///     var(d) = Σₛ wₛ² (s²ₛ,slow/nₛ,slow + s²ₛ,fast/nₛ,fast),
  ///     ν = var(d)² / Σ over cells (wₛ² s²/n)² / (n − 1),
  ///
  /// s² the cell's sample variance, at least `roundingVariance`. In the standardized pool, whose
  /// cell mean is x̄ = Σᵢ vᵢxᵢ (vᵢ the row weights), s²/n is n/(n − 1) Σᵢ vᵢ²(xᵢ − x̄)², which is
  /// s²/n when every vᵢ is 1/n; the spread between the pool's endpoints counts in it, as in an
  /// unweighted cell: a variance from an endpoint's one or two traces alone (a span key only
  /// one rare endpoint calls has almost none) starred most A/A splits of the 62-trace
  /// TrainTicket minute. Its floor is `roundingVariance` Σᵢ vᵢ². Each cell holds at least
  /// `minimumTracesPerCell` traces. Sums run in row order within each cell, so swapping the
  /// batches leaves both unchanged.
  /// Reference: Welch (1947), Biometrika 34; Satterthwaite (1946), Biometrics Bulletin 2(6).
  func varianceOfDifference(_ values: ArraySlice<Double>) -> (variance: Double, degreesOfFreedom: Double) {
    let base = values.startIndex
    var (variance, denominator) = (0.0, 0.0)
    /// A cell's part of the variance and of the degrees of freedom's denominator.
    func component(_ cell: [Int], weight: Double, pooled: Bool) -> (variance: Double, denominator: Double) {
      let count = Double(cell.count)
      let part: Double
      if pooled {
        // Around the cell's weighted mean: the spread between its endpoints counts too, as in
        // an unweighted cell (never a variance from an endpoint's one or two traces).
        let mean = cell.reduce(0) { $0 + rowWeights[$1] * values[base + $1] }
        var (squares, floor) = (0.0, 0.0)
        for row in cell {
          let squaredWeight = rowWeights[row] * rowWeights[row]
          squares += squaredWeight * (values[base + row] - mean) * (values[base + row] - mean)
          floor += squaredWeight * roundingVariance
        }
        part = weight * weight * max(squares * count / (count - 1), floor)
      } else {
        let mean = cell.reduce(0) { $0 + values[base + $1] } / count
        let squares = cell.reduce(0) { $0 + (values[base + $1] - mean) * (values[base + $1] - mean) }
        part = weight * weight * max(squares / (count - 1), roundingVariance) / count
      }
      return (part, part * part / (count - 1))
    }
    for (stratum, weight) in weights.enumerated() {
      let pooled = hasPool && stratum == strataCount - 1
      let slow = component(rows[2 * stratum + 1], weight: weight, pooled: pooled)
      let fast = component(rows[2 * stratum], weight: weight, pooled: pooled)
      // A stratum's two cells added to each other first: a + b is b + a, bit for bit.
      variance += slow.variance + fast.variance
      denominator += slow.denominator + fast.denominator
    }
    return (variance, denominator > 0 ? variance * variance / denominator : .nan)
  }

  /// Each row's endpoint (0 is the one `indicatorColumns` gives no column) and how many
  /// there are: the fixed effects a fit can absorb instead of carrying their columns.
  var endpointOfRow: [Int] { endpointOf }
  var endpointCount: Int { endpoints.count }

  /// One 0/1 column per endpoint but the first: endpoint fixed effects for the regressions.
  func indicatorColumns() -> [[Double]] {
    endpoints.indices.dropFirst().map { endpoint in endpointOf.map { $0 == endpoint ? 1 : 0 } }
  }

  /// Each endpoint's share of the fast and of the slow batch, most slow traces first.
  func mix() -> [(endpoint: SpanKey, fastShare: Double, slowShare: Double)] {
    let slowTotal = Double(isSlow.filter { $0 }.count)
    let fastTotal = Double(isSlow.count) - slowTotal
    return endpoints.indices.map {
      (endpoints[$0], Double(endpointCounts[$0].fast) / fastTotal, Double(endpointCounts[$0].slow) / slowTotal)
    }
    .sorted { ($0.slowShare, $1.endpoint) > ($1.slowShare, $0.endpoint) }
  }
}

