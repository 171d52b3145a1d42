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

  /// Σₑ wₑ (mean over slow traces of e − mean over fast traces of e), wₑ the slow batch's
  /// (weighted) share of endpoint e among comparable endpoints.
  func difference(_ values: [Double], weights: [Double]) -> Double {
    var result = 0.0
    var slowTotal = 0.0
    for endpoint in endpoints.indices where comparable[endpoint] {
      let (fastMean, _) = mean(values, weights, rows[2 * endpoint])
      let (slowMean, slowWeight) = mean(values, weights, rows[2 * endpoint + 1])
      guard slowWeight > 0, fastMean.isFinite else { continue }
      result += slowWeight * (slowMean - fastMean)
      slowTotal += slowWeight
    }
    return slowTotal > 0 ? result / slowTotal : 0
  }

  /// `difference` of every column of `columns` at once.
  func differences(_ columns: Matrix, weights: [Double]) -> [Double] {
    differences([columns], weightSets: [weights])[0][0]
  }

  /// `difference` of every column of each matrix for each set of weights (bootstrap
  /// replicates): result[matrix][set][column]. The weighted sums per (endpoint, batch) cell of
  /// all sets are one BLAS `dgemm` per matrix, columnsᵀ × a (rows × sets·cells) matrix holding
  /// each set's weights in its cell's column, built once for all matrices.
  func differences(_ matrices: [Matrix], weightSets: [[Double]]) -> [[[Double]]] {
    let cells = rows.count
    var cellWeights = Matrix(zeros: cellOf.count, cells * weightSets.count)
    for (set, weights) in weightSets.enumerated() {
      for (row, cell) in cellOf.enumerated() { cellWeights[row, set * cells + cell] = weights[row] }
    }
    let totalsOfSets = weightSets.map { weights in rows.map { cell in cell.reduce(0) { $0 + weights[$1] } } }
    return matrices.map { columns in
      let sums = columns.transposeTimes(cellWeights)
      return totalsOfSets.enumerated().map { set, totals in
      let compared = endpoints.indices.filter { comparable[$0] && totals[2 * $0 + 1] > 0 && totals[2 * $0] > 0 }
      let slowTotal = compared.reduce(0) { $0 + totals[2 * $1 + 1] }
      guard slowTotal > 0 else { return [Double](repeating: 0, count: columns.columns) }
      return (0..<columns.columns).map { column in
        compared.reduce(0) { sum, endpoint in
          let slowCell = set * cells + 2 * endpoint + 1
          let fastCell = set * cells + 2 * endpoint
          return sum + totals[2 * endpoint + 1] / slowTotal
            * (sums[column, slowCell] / totals[2 * endpoint + 1] - sums[column, fastCell] / totals[2 * endpoint])
        }
      }
      }
    }
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

  /// One 0/1 column per endpoint but the first: endpoint fixed effects for the regressions.
  func indicatorColumns() -> [[Double]] {
    endpoints.indices.dropFirst().map { endpoint in
      cellOf.map { $0 / 2 == endpoint ? 1 : 0 }
    }
  }

  /// Bootstrap weights: each (endpoint, batch) cell resampled with replacement to its size.
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

  private func mean(_ values: [Double], _ weights: [Double], _ cell: [Int]) -> (mean: Double, weight: Double) {
    var sum = 0.0
    var total = 0.0
    for row in cell {
      sum += weights[row] * values[row]
      total += weights[row]
    }
    return (total > 0 ? sum / total : .nan, total)
  }

  private func varianceOfMean(_ values: [Double], _ cell: [Int]) -> Double {
    guard cell.count > 1 else { return 0 }
    let mean = cell.reduce(0) { $0 + values[$1] } / Double(cell.count)
    let squares = cell.reduce(0) { $0 + (values[$1] - mean) * (values[$1] - mean) }
    return squares / Double(cell.count - 1) / Double(cell.count)
  }
}
