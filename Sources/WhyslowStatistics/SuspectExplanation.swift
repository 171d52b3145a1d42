import Foundation
import WhyslowFeatures
import WhyslowIngest
import WhyslowLinalg

/// Stage 4, why each suspect grew: the critical-path time of each explained suspect regressed
/// on the features of its own key, and its growth decomposed as Σⱼ βⱼdⱼ plus a remainder.
///
/// A suspect's own features: its `self_time` outside the network gaps to its callees and the
/// waits before its children (so the three never share the same milliseconds), its `count`,
/// `error`s, `network_gap` to each callee, attribute values, and the `wait` before each child
/// key it calls (idle time inside the suspect before the child starts; for a client key the wait
/// before its callee's server span is transit, inside the network gap). One design holds the
/// own features of every explained suspect plus endpoint indicators, and all suspects'
/// responses are fitted at once: one Gram matrix (`dsyrk`), one Cholesky factor, one
/// multi-right-hand-side solve, HC3 errors for every response by one `dgemm`
/// (`LeastSquares`). Other suspects' features are controls in each fit; only a suspect's own
/// features are its findings. The contribution of feature j is βⱼdⱼ (Oaxaca–Blinder), dⱼ its
/// stratified difference of means, tested by the delta method,
/// se² = dⱼ²se(βⱼ)² + βⱼ²var(dⱼ), against Student's t with the fewer of the fit's residual
/// degrees of freedom and dⱼ's Welch–Satterthwaite ones; the same t gives its 95% interval.
///
/// With more own features than the traces support, the columns are taken round-robin over
/// suspects (largest growth first), each suspect's by |simple slope × dⱼ|, up to
/// `AnalysisOptions.explanatoryColumns` and leaving `minimumResidualDegrees`.
/// References: Oaxaca (1973); Blinder (1973); MacKinnon & White (1985).
struct SuspectExplanation {
  /// Fewest residual degrees of freedom kept for inference: with fewer, HC3 errors rest on a
  /// handful of residuals with leverage near 1 and normal p-values would claim certainty.
  static let minimumResidualDegrees = 10

  /// Candidates whose growth is explained (the responses), largest growth first.
  let explained: [Int]
  /// The design's feature columns and, for each, its position in `explained`.
  let columns: [FeatureColumn]
  let owner: [Int]
  /// Rows × (feature columns, then endpoint indicators); no intercept column.
  let design: Matrix
  let fit: LeastSquaresFit?
  /// Per feature column: βⱼdⱼ with its test, and the feature's batch means.
  let tests: [TTest]
  let fastMeans: [Double]
  let slowMeans: [Double]
  let exampleSlowTraceIDs: [String]

  /// The candidates to explain: those that grew, largest growth first, up to
  /// `AnalysisOptions.explainedSuspects`.
  static func explainedSuspects(_ accounting: CriticalPathAccounting, options: AnalysisOptions) -> [Int] {
    Array(
      accounting.growth.indices.filter { accounting.growth[$0] > 0 }
        .sorted { (accounting.growth[$0], accounting.candidates[$1].name) > (accounting.growth[$1], accounting.candidates[$0].name) }
        .prefix(options.explainedSuspects))
  }

  /// Explains the growth of `explained` (`explainedSuspects`).
  init(
    _ matrix: FeatureMatrix, _ strata: Strata, _ accounting: CriticalPathAccounting, explained: [Int],
    options: AnalysisOptions
  ) throws {
    let n = matrix.traceCount
    let indicatorColumns = strata.indicatorColumns()
    let testable = n - indicatorColumns.count - 1 - Self.minimumResidualDegrees
    guard testable > 0 else {
      let (slow, fast) = (matrix.isSlow.filter { $0 }.count, matrix.isSlow.filter { !$0 }.count)
      throw StatisticsError.tooFewTraces(
        fast: fast, slow: slow, needed: (indicatorColumns.count + 2 + Self.minimumResidualDegrees + 1) / 2 + 1)
    }
    self.explained = explained

    // Every explained suspect's own columns, pooled for one batch of differences.
    let pool = Self.ownColumns(matrix, explained.map { accounting.candidates[$0] }, accounting.splitCallees)
    let poolDifferences = Self.differences(pool, strata)
    // Each column's slope on its suspect's critical-path time, half the columns on each core.
    let criticalTimes = accounting.values
    let criticalColumns = explained.map { criticalTimes.column($0) }
    let criticalMeans = criticalColumns.map { $0.reduce(0, +) / Double(n) }
    @Sendable func scores(_ range: Range<Int>) -> [Double] {
      Self.slopes(range.map { pool[$0] }, criticalColumns, criticalMeans)
        .enumerated().map { abs($1 * poolDifferences[range.lowerBound + $0]) }
    }
    let half = pool.count / 2
    let (low, high) = concurrently({ scores(0..<half) }, { scores(half..<pool.count) })
    let scores = low + high
    var queues = explained.indices.map { owner in
      pool.indices.filter { pool[$0].owner == owner && scores[$0].isFinite }
        .sorted { (scores[$0], $1) > (scores[$1], $0) }
    }
    var chosen: [Int] = []
    let limit = min(options.explanatoryColumns, testable)
    while chosen.count < limit, queues.contains(where: { !$0.isEmpty }) {
      for owner in queues.indices where !queues[owner].isEmpty && chosen.count < limit {
        chosen.append(queues[owner].removeFirst())
      }
    }
    chosen.sort()
    columns = chosen.map { pool[$0].column }
    let owner = chosen.map { pool[$0].owner }
    let differences = chosen.map { poolDifferences[$0] }
    self.owner = owner
    let design = Matrix(
      rows: n, columns: chosen.count + indicatorColumns.count,
      values: chosen.flatMap { pool[$0].dense(rows: n) } + indicatorColumns.flatMap { $0 })
    self.design = design
    let responses = Matrix(
      rows: n, columns: explained.count, values: explained.flatMap { Array(accounting.values.column($0)) })
    let penalty = Self.stabilizingPenalty(design)
    // The endpoint indicators absorbed rather than carried: the same fit at a cost that grows
    // with the features, not with the endpoints.
    let fit =
      explained.isEmpty
      ? nil
      : try LeastSquares.fit(
        features: Matrix(prefixOf: design.values, rows: n, columns: chosen.count), groups: strata.endpointOfRow,
        groupCount: strata.endpointCount, responses: responses, penalty: penalty)
    self.fit = fit
    let residualDegrees = Double(n - strata.endpointCount - chosen.count)  // intercept, indicators, features
    tests = owner.enumerated().map { index, response in
      let beta = fit?.coefficients[index + 1, response] ?? .nan
      let betaError = fit?.standardErrors[index + 1, response] ?? .nan
      let d = differences[index]
      let (varianceOfD, degreesOfD) = strata.varianceOfDifference(design.column(index))
      return TTest(
        estimate: beta * d, standardError: (d * d * betaError * betaError + beta * beta * varianceOfD).squareRoot(),
        degreesOfFreedom: min(residualDegrees, degreesOfD))
    }
    let slowRows = (0..<n).filter { matrix.isSlow[$0] }
    fastMeans = chosen.indices.map { strata.batchMean(design.column($0), slow: false) }
    slowMeans = chosen.indices.map { strata.batchMean(design.column($0), slow: true) }
    exampleSlowTraceIDs = chosen.indices.map { matrix.typicalTrace(of: design.column($0), rows: slowRows) }
  }

  /// A candidate column of the pool: its feature, the position of its suspect in `explained`,
  /// and its values, dense or (attribute columns) sparse: the pool is mostly attribute values
  /// on a fraction of the traces, and only the columns chosen are made dense.
  private struct PoolColumn {
    let column: FeatureColumn
    let owner: Int
    let values: [Double]
    let sparse: SparseColumns.Column?

    init(_ column: FeatureColumn, _ owner: Int, values: [Double]) {
      (self.column, self.owner, self.values, sparse) = (column, owner, values, nil)
    }

    init(_ entry: SparseColumns.Column, _ owner: Int) {
      (column, self.owner, values, sparse) = (entry.column, owner, [], entry)
    }

    /// Every row's value (0 where a sparse column has none).
    func dense(rows: Int) -> [Double] { sparse?.dense(rows: rows) ?? values }
  }

  /// The pool's stratified differences of means, in pool order.
  private static func differences(_ pool: [PoolColumn], _ strata: Strata) -> [Double] {
    let (dense, sparse) = (pool.indices.filter { pool[$0].sparse == nil }, pool.indices.filter { pool[$0].sparse != nil })
    var result = [Double](repeating: 0, count: pool.count)
    for (index, difference) in zip(dense, strata.differences(dense.map { pool[$0].values })) {
      result[index] = difference
    }
    for (index, difference) in zip(sparse, strata.differences(sparse.compactMap { pool[$0].sparse })) {
      result[index] = difference
    }
    return result
  }

  /// The own columns of each candidate (in `candidates` order, `owner` its position): a key's
  /// calls to one callee own their network gap to it; a key, or what is left of a split one,
  /// owns the rest of its columns.
  private static func ownColumns(
    _ matrix: FeatureMatrix, _ candidates: [CriticalPathAccounting.Candidate], _ splitCallees: [SpanKey: Set<String>]
  ) -> [PoolColumn] {
    let keys = candidates.map(\.key)
    let position = Dictionary(
      candidates.indices.filter { candidates[$0].calls == nil }.map { (keys[$0], $0) }, uniquingKeysWith: { first, _ in first })
    let callPosition = Dictionary(
      candidates.indices.compactMap { index in candidates[index].calls.map { (FeatureColumn(key: keys[index], kind: .networkGap, peerService: $0), index) } },
      uniquingKeysWith: { first, _ in first })
    var own = [[Int]](repeating: [], count: keys.count)
    var waits = [[Int]](repeating: [], count: keys.count)
    // A wait before a server span that a client key calls is the request's transit, part of
    // the client's network gap, not idle time.
    let networkGaps = Set(matrix.networkGaps.columns)
    for (index, column) in matrix.columns.enumerated() {
      switch column.kind {
      case .wait:
        // Idle time inside the parent before this child starts.
        if let parent = matrix.parentKeys[column.key], let owner = position[parent],
          !networkGaps.contains(FeatureColumn(key: parent, kind: .networkGap, peerService: column.key.service))
        {
          waits[owner].append(index)
        }
      case .selfTime, .count, .error:
        if let owner = position[column.key] { own[owner].append(index) }
      case .networkGap, .attribute, .numericAttribute:
        continue  // sparse: built below for these keys only
      case .criticalTime, .startOffset, .depth:
        continue
      }
    }
    var ownGaps = [[Int]](repeating: [], count: keys.count)
    var allGaps = [[Int]](repeating: [], count: keys.count)  // a key's gaps, split off or not
    for (index, column) in matrix.networkGaps.columns.enumerated() {
      if let owner = callPosition[column] { ownGaps[owner].append(index) }
      guard let owner = position[column.key] else { continue }
      allGaps[owner].append(index)
      if !(splitCallees[column.key]?.contains(column.peerService) ?? false) { ownGaps[owner].append(index) }
    }
    var result: [PoolColumn] = []
    for owner in keys.indices {
      // Self-time net of all the key's network gaps (its own and those split off to its calls)
      // and of the idle waits before its children.
      let gaps = ownGaps[owner].map { matrix.networkGaps.dense($0) }
      let waited = waits[owner].map { Array(matrix.column($0)) }
      for index in own[owner] {
        var values = Array(matrix.column(index))
        if matrix.columns[index].kind == .selfTime {
          for gap in allGaps[owner].map({ matrix.networkGaps.dense($0) }) + waited {
            for (row, value) in gap.enumerated() { values[row] -= value }
          }
        }
        result.append(PoolColumn(matrix.columns[index], owner, values: values))
      }
      for (index, values) in zip(ownGaps[owner], gaps) {
        result.append(PoolColumn(matrix.networkGaps.columns[index], owner, values: values))
      }
      for (index, values) in zip(waits[owner], waited) {
        result.append(PoolColumn(matrix.columns[index], owner, values: values))
      }
    }
    for entry in matrix.attributes.entries {
      if let owner = position[entry.column.key] { result.append(PoolColumn(entry, owner)) }
    }
    return result
  }

  /// The least-squares slope of each column's suspect's response on the column alone (NaN
  /// when the column is constant). Dense columns two at a time, their sums in one loop: each
  /// sum is still taken in row order, so every slope is the one computed alone, while the
  /// additions of the two overlap instead of each waiting for the one before. A sparse column
  /// walks its entries beside the rows: the same sums in the same order, without the zeros
  /// written out.
  private static func slopes(
    _ columns: [PoolColumn], _ responses: [ArraySlice<Double>], _ means: [Double]
  ) -> [Double] {
    var result = [Double](repeating: .nan, count: columns.count)
    let dense = columns.indices.filter { columns[$0].sparse == nil }
    var index = 0
    while index < dense.count {
      let (first, second) = (dense[index], dense[min(index + 1, dense.count - 1)])  // the last alone: paired with itself
      let (one, two) = pairedSlopes(
        (columns[first].values, responses[columns[first].owner], means[columns[first].owner]),
        (columns[second].values, responses[columns[second].owner], means[columns[second].owner]))
      result[first] = one
      if index + 1 < dense.count { result[second] = two }
      index += 2
    }
    for (position, column) in columns.enumerated() {
      guard let sparse = column.sparse else { continue }
      result[position] = sparseSlope(sparse, responses[column.owner], means[column.owner])
    }
    return result
  }

  private static func pairedSlopes(
    _ first: (values: [Double], response: ArraySlice<Double>, meanY: Double),
    _ second: (values: [Double], response: ArraySlice<Double>, meanY: Double)
  ) -> (Double, Double) {
    first.values.withUnsafeBufferPointer { x1 in
      second.values.withUnsafeBufferPointer { x2 in
        first.response.withUnsafeBufferPointer { y1 in
          second.response.withUnsafeBufferPointer { y2 in
            let n = x1.count
            var (sum1, sum2) = (0.0, 0.0)
            for row in 0..<n {
              sum1 += x1[row]
              sum2 += x2[row]
            }
            let (meanX1, meanX2) = (sum1 / Double(n), sum2 / Double(n))
            var (cross1, squares1, cross2, squares2) = (0.0, 0.0, 0.0, 0.0)
            for row in 0..<n {
              cross1 += (x1[row] - meanX1) * (y1[row] - first.meanY)
              squares1 += (x1[row] - meanX1) * (x1[row] - meanX1)
              cross2 += (x2[row] - meanX2) * (y2[row] - second.meanY)
              squares2 += (x2[row] - meanX2) * (x2[row] - meanX2)
            }
            return (squares1 > 0 ? cross1 / squares1 : .nan, squares2 > 0 ? cross2 / squares2 : .nan)
          }
        }
      }
    }
  }

  private static func sparseSlope(_ column: SparseColumns.Column, _ response: ArraySlice<Double>, _ meanY: Double) -> Double {
    response.withUnsafeBufferPointer { y in
      let n = y.count
      let sum = column.values.reduce(0, +)  // the zeros between add nothing
      let meanX = sum / Double(n)
      var (cross, squares) = (0.0, 0.0)
      var next = 0  // the next entry
      for row in 0..<n {
        var x = 0.0
        if next < column.rows.count && Int(column.rows[next]) == row {
          x = column.values[next]
          next += 1
        }
        cross += (x - meanX) * (y[row] - meanY)
        squares += (x - meanX) * (x - meanX)
      }
      return squares > 0 ? cross / squares : .nan
    }
  }

  /// A penalty just large enough to keep near-collinear columns solvable (10⁻⁸ of the mean
  /// squared column norm): far below what would move a well-determined slope.
  private static func stabilizingPenalty(_ design: Matrix) -> Double {
    guard design.columns > 0 else { return 0 }
    let squares = design.values.reduce(0) { $0 + $1 * $1 }
    return 1e-8 * squares / Double(design.columns)
  }
}
