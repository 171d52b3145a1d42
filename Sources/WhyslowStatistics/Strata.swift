import Foundation
import WhyslowFeatures
import WhyslowLinalg

/// Traces grouped by entry point and batch, for comparing like with like.
///
/// An endpoint both batches have is a stratum, weighted by its share of the slow batch's
/// traces in strata; traces of an endpoint only one batch has are left out of comparisons and
/// show up in the endpoint mix.
struct Strata {
  private let isSlow: [Bool]
  /// Each row's cell: 2·(endpoint index) + (slow ? 1 : 0).
  private let cellOf: [Int]
  /// Rows of each cell.
  private let rows: [[Int]]
  /// Whether each endpoint has traces in both batches.
  private let comparable: [Bool]
  private let endpoints: [SpanKey]
  /// Each row's trace, hashed with its batch (FNV-1a of the id's bytes): the Poisson weights' key.
  private let traceHashes: [UInt64]

  init(_ matrix: FeatureMatrix) {
    let keys = Array(Set(matrix.entryPoints)).sorted()
    let index = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
    isSlow = matrix.isSlow
    cellOf = matrix.entryPoints.indices.map { row in
      2 * (index[matrix.entryPoints[row]] ?? 0) + (matrix.isSlow[row] ? 1 : 0)
    }
    var rows = [[Int]](repeating: [], count: 2 * keys.count)
    for (row, cell) in cellOf.enumerated() { rows[cell].append(row) }
    self.rows = rows
    comparable = keys.indices.map { !rows[2 * $0].isEmpty && !rows[2 * $0 + 1].isEmpty }
    endpoints = keys
    traceHashes = zip(matrix.traceIDs, matrix.isSlow).map { id, slow in
      id.utf8.reduce(slow ? 0xAF63_BD4C_8601_B7DF : 0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }
  }

  /// Traces left out of comparisons: their endpoint is in one batch only.
  var excludedTraces: Int {
    endpoints.indices.filter { !comparable[$0] }.reduce(0) { $0 + rows[2 * $1].count + rows[2 * $1 + 1].count }
  }

  /// The weighted mean of `values` over one batch (all its traces).
  func batchMean(_ values: [Double], weights: [Double], slow: Bool) -> Double {
    var sum = 0.0
    var total = 0.0
    for row in values.indices where isSlow[row] == slow {
      sum += weights[row] * values[row]
      total += weights[row]
    }
    return total > 0 ? sum / total : .nan
  }

  /// For each column, Σₑ wₑ (mean over slow traces of e − mean over fast traces of e), wₑ the
  /// slow batch's (weighted) share of endpoint e among endpoints both batches have. The
  /// weighted sums per (endpoint, batch) cell take one pass over the column: each row adds to
  /// its own cell only (a product with a rows × cells matrix of weights would be mostly zeros).
  func differences(_ columns: Matrix, weights: [Double]) -> [Double] {
    differences(count: columns.columns, weights: weights) { column, add in
      columns.values.withUnsafeBufferPointer { values in
        add(UnsafeBufferPointer(rebasing: values[(column * columns.rows)..<((column + 1) * columns.rows)]))
      }
    }
  }

  /// `differences` of columns held apart (each array one column of every row).
  func differences(_ columns: [[Double]], weights: [Double]) -> [Double] {
    differences(count: columns.count, weights: weights) { column, add in columns[column].withUnsafeBufferPointer(add) }
  }

  /// The sums per cell of `count` columns, column `c` handed to `add` by `column(c, add)`,
  /// then combined.
  private func differences(
    count: Int, weights: [Double], column: (Int, (UnsafeBufferPointer<Double>) -> Void) -> Void
  ) -> [Double] {
    let cells = rows.count
    var sums = [Double](repeating: 0, count: cells * count)
    sums.withUnsafeMutableBufferPointer { sums in
      weights.withUnsafeBufferPointer { weights in
        cellOf.withUnsafeBufferPointer { cellOf in
          for index in 0..<count {
            let cellSums = sums.baseAddress! + index * cells
            column(index) { values in
              for row in 0..<cellOf.count { cellSums[cellOf[row]] += weights[row] * values[row] }
            }
          }
        }
      }
    }
    return combine(columns: count, totals: cellTotals(weights)) { sums[$0 * cells + $1] }
  }

  /// `differences` of sparse columns (their rows without an entry are 0).
  func differences(_ columns: SparseColumns, weights: [Double]) -> [Double] {
    differences(columns.entries, weights: weights)
  }

  /// `differences` of sparse columns given one by one.
  func differences(_ entries: [SparseColumns.Column], weights: [Double]) -> [Double] {
    let cells = rows.count
    var sums = [Double](repeating: 0, count: cells * entries.count)
    for (index, entry) in entries.enumerated() {
      for (row, value) in zip(entry.rows, entry.values) {
        sums[index * cells + cellOf[Int(row)]] += weights[Int(row)] * value
      }
    }
    return combine(columns: entries.count, totals: cellTotals(weights)) { sums[$0 * cells + $1] }
  }

  /// Bootstrap weight sets folded with the combination `differences` applies: entry (row, set)
  /// is the row's weight in the set times its cell's factor in that set (`cellFactors`). Each
  /// set's difference of a column is then the column's dot product with the set's column.
  struct FoldedWeights {
    fileprivate let matrix: Matrix  // rows × sets
  }

  /// `weightSets` (bootstrap replicates) folded for `differences(_:_:)`.
  func folded(_ weightSets: [[Double]]) -> FoldedWeights {
    let rowCount = cellOf.count
    var folded = [Double](repeating: 0, count: rowCount * weightSets.count)
    folded.withUnsafeMutableBufferPointer { folded in
      for (set, weights) in weightSets.enumerated() {
        let factors = cellFactors(cellTotals(weights))
        for row in 0..<rowCount { folded[set * rowCount + row] = weights[row] * factors[cellOf[row]] }
      }
    }
    return FoldedWeights(matrix: Matrix(rows: rowCount, columns: weightSets.count, values: folded))
  }

  /// `differences` of every column of `columns` for each folded set of weights (bootstrap
  /// replicates): result[set][column], all of them one BLAS `dgemm` (columnsᵀ × folded).
  func differences(_ columns: Matrix, _ weights: FoldedWeights) -> [[Double]] {
    let product = columns.transposeTimes(weights.matrix)  // columns × sets
    return (0..<weights.matrix.columns).map { set in Array(product.column(set)) }
  }

  private func cellTotals(_ weights: [Double]) -> [Double] {
    rows.map { cell in cell.reduce(0) { $0 + weights[$1] } }
  }

  /// Σₑ wₑ (sum(slow cell)/total(slow cell) − sum(fast cell)/total(fast cell)) per column, as
  /// Σ over cells of `cellFactors` × sum; `sum(column, cell)` gives the (weighted) sums.
  private func combine(columns: Int, totals: [Double], sum: (Int, Int) -> Double) -> [Double] {
    let factors = cellFactors(totals)
    let cells = factors.indices.filter { factors[$0] != 0 }
    return (0..<columns).map { column in cells.reduce(0) { $0 + factors[$1] * sum(column, $1) } }
  }

  /// Each (endpoint, batch) cell's factor in the within-endpoint difference: +wₑ / total(slow
  /// cell), −wₑ / total(fast cell), over comparable endpoints with weight in both cells (`totals`
  /// the cells' weights), 0 elsewhere. wₑ is endpoint e's share of the slow traces compared, by
  /// count: a bootstrap replicate redraws the traces within each cell, not the endpoint mix.
  private func cellFactors(_ totals: [Double]) -> [Double] {
    var factors = [Double](repeating: 0, count: rows.count)
    let compared = endpoints.indices.filter { comparable[$0] && totals[2 * $0 + 1] > 0 && totals[2 * $0] > 0 }
    let slowCount = Double(compared.reduce(0) { $0 + rows[2 * $1 + 1].count })
    for endpoint in compared {
      let share = Double(rows[2 * endpoint + 1].count) / slowCount
      factors[2 * endpoint + 1] = share / totals[2 * endpoint + 1]
      factors[2 * endpoint] = -share / totals[2 * endpoint]
    }
    return factors
  }

  /// var(d) = Σₑ wₑ² (s²ₑ,slow/nₑ,slow + s²ₑ,fast/nₑ,fast), sample variances.
  func varianceOfDifference(_ values: [Double]) -> Double {
    let slowTotal = Double(endpoints.indices.filter { comparable[$0] }.reduce(0) { $0 + rows[2 * $1 + 1].count })
    guard slowTotal > 0 else { return 0 }
    return endpoints.indices.filter { comparable[$0] }.reduce(0) { sum, endpoint in
      let weight = Double(rows[2 * endpoint + 1].count) / slowTotal
      return sum + weight * weight
        * (varianceOfMean(values, rows[2 * endpoint + 1]) + varianceOfMean(values, rows[2 * endpoint]))
    }
  }

  /// The van Elteren rank test (`vanElterenPValue`) that `value(row)` tends to differ between
  /// slow and fast traces, over the rows where `present` holds (all rows when nil), one stratum
  /// per comparable endpoint. Rank-based, so a few huge latencies do not swamp it.
  func rankTestPValue(present: [Bool]?, _ value: (Int) -> Double) -> Double {
    vanElterenPValue(
      endpoints.indices.filter { comparable[$0] }.map { endpoint in
        (
          fast: rows[2 * endpoint].filter { present?[$0] ?? true }.map(value),
          slow: rows[2 * endpoint + 1].filter { present?[$0] ?? true }.map(value)
        )
      })
  }

  /// Each row's endpoint (0 is the one `indicatorColumns` gives no column) and how many
  /// there are: the fixed effects a fit can absorb instead of carrying their columns.
  var endpointOfRow: [Int] { cellOf.map { $0 / 2 } }
  var endpointCount: Int { endpoints.count }

  /// One 0/1 column per endpoint but the first: endpoint fixed effects for the regressions.
  func indicatorColumns() -> [[Double]] {
    endpoints.indices.dropFirst().map { endpoint in
      cellOf.map { $0 / 2 == endpoint ? 1 : 0 }
    }
  }

  /// Poisson bootstrap weights of one replicate: each trace's weight a Poisson(1) draw from a
  /// hash of the seed, the replicate and the trace (its batch and id), so a trace weighs the
  /// same whatever other traces there are and in whatever order or shard they come: the
  /// replicate's sums are sums over traces (mergeable).
  /// Reference: Hanley & MacGibbon (2006); Chamandy et al. (2012), "Estimating uncertainty
  /// for massive data streams".
  func poissonWeights(replicate: Int, seed: UInt64) -> [Double] {
    let (cdf, salt) = (Self.poissonCDF, (seed &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(replicate) &* 0xD1B5_4A32_D192_ED03))
    return traceHashes.map { hash in
      let u = SeededRandom.uniform(keyedBy: hash ^ salt)
      // The count of k with u ≥ P(K ≤ k) (at most 19): the first eight compared without a
      // branch (a draw's value is a coin the branch predictor cannot learn), the rest, needed
      // once in 100,000 draws, one by one.
      var draws = 0
      for k in 0..<8 { draws += u >= cdf[k] ? 1 : 0 }
      while draws < cdf.count - 1 && u >= cdf[draws] { draws += 1 }
      return Double(draws)
    }
  }

  /// P(K ≤ k) for K ~ Poisson(1), k = 0…19 (beyond: probability below 10⁻¹⁸).
  private static let poissonCDF: [Double] = {
    var term = exp(-1.0)
    var sum = 0.0
    return (0..<20).map { k in
      if k > 0 { term /= Double(k) }
      sum += term
      return sum
    }
  }()

  /// Multinomial bootstrap weights: each (endpoint, batch) cell resampled with replacement to
  /// its size (`Resampling.multinomial`).
  func bootstrapWeights(_ random: inout SeededRandom) -> [Double] {
    var weights = [Double](repeating: 0, count: cellOf.count)
    for cell in rows where !cell.isEmpty {
      for _ in cell.indices { weights[cell[Int(random.next() % UInt64(cell.count))]] += 1 }
    }
    return weights
  }

  /// Each endpoint's share of the fast and of the slow batch, most slow traces first.
  func mix() -> [(endpoint: SpanKey, fastShare: Double, slowShare: Double)] {
    let fastTotal = Double(isSlow.filter { !$0 }.count)
    let slowTotal = Double(isSlow.filter { $0 }.count)
    return endpoints.indices.map {
      (endpoints[$0], Double(rows[2 * $0].count) / fastTotal, Double(rows[2 * $0 + 1].count) / slowTotal)
    }
    .sorted { ($0.slowShare, $1.endpoint) > ($1.slowShare, $0.endpoint) }
  }

  private func varianceOfMean(_ values: [Double], _ cell: [Int]) -> Double {
    guard cell.count > 1 else { return 0 }
    let mean = cell.reduce(0) { $0 + values[$1] } / Double(cell.count)
    let squares = cell.reduce(0) { $0 + (values[$1] - mean) * (values[$1] - mean) }
    return squares / Double(cell.count - 1) / Double(cell.count)
  }
}
