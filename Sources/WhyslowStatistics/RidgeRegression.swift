import Foundation
import WhyslowLinalg

/// A ridge fit of a response on standardized columns, reported in the columns' own units.
public struct RidgeFit: Sendable, Equatable {
  /// Fitted intercept: ŷ = intercept + Σⱼ coefficients[j] · xⱼ.
  public let intercept: Double
  /// One coefficient per input column, in response units per column unit; 0 for dropped columns.
  public let coefficients: [Double]
  /// The penalty λ on the standardized scale (each kept column has mean 0 and Σz² = n).
  public let penalty: Double
  /// Columns left out because they never vary (population standard deviation ≤ 1e-10·|mean|).
  public let droppedColumns: [Int]
}

/// Ridge regression with an unpenalized intercept on standardized columns.
///
/// With column means x̄ⱼ and population standard deviations sⱼ, zᵢⱼ = (xᵢⱼ − x̄ⱼ)/sⱼ and
/// γ̂ = (ZᵀZ + λI)⁻¹ Zᵀ(y − ȳ); coefficients βⱼ = γ̂ⱼ/sⱼ and intercept ȳ − Σ βⱼ x̄ⱼ.
/// The centered Gram matrix is built once with BLAS `dsyrk`, scaled to ZᵀZ, and solved by
/// Cholesky (LAPACK `dposv`); see `StandardizedSystem`. λ > 0 makes the system positive definite even when columns are
/// collinear or outnumber the rows, at the price of shrinking coefficients towards 0.
/// Reference: Hoerl & Kennard (1970), Technometrics 12(1).
public enum RidgeRegression {
  /// Fits `response` on the columns of `design` with penalty λ = `penalty` ≥ 0.
  /// With λ = 0 this is ordinary least squares and needs full column rank.
  public static func fit(design: Matrix, response: [Double], penalty: Double) throws -> RidgeFit {
    try StandardizedSystem(design: design, response: response).fit(penalty: penalty)
  }

  /// The penalty grid GCV searches, on the standardized scale: 60 values from 10⁻⁶·n to 10³·n,
  /// evenly spaced in log. Wide enough to span "no shrinkage" to "everything shrunk".
  public static func penaltyGrid(rows: Int) -> [Double] {
    (0..<60).map { Double(rows) * pow(10, -6 + 9 * Double($0) / 59) }
  }

  /// See `StandardizedSystem.generalizedCrossValidation(grid:)`.
  public static func generalizedCrossValidation(
    design: Matrix, response: [Double], grid: [Double]
  ) throws -> (penalty: Double, scores: [Double]) {
    try StandardizedSystem(design: design, response: response).generalizedCrossValidation(grid: grid)
  }
}

/// The standardized normal equations ZᵀZ γ = Zᵀ(y − ȳ) of a design, built once (one BLAS
/// `dsyrk` on the design, then centered by a rank-one downdate) and shared by the GCV search
/// and the fit.
public struct StandardizedSystem: Sendable {
  private let rows: Int
  private let columns: Int
  private let means: [Double]
  private let deviations: [Double]
  /// Columns that vary (population standard deviation > 1e-10·|mean|); the rest are dropped.
  private let kept: [Int]
  /// ZᵀZ over the kept columns (each has mean 0 and Σz² = n).
  private let gram: Matrix
  /// Zᵀ(y − ȳ) over the kept columns.
  private let crossProducts: [Double]
  private let responseMean: Double
  /// ‖y − ȳ‖².
  private let responseSquares: Double

  public init(design: Matrix, response: [Double]) {
    self.init(design: design, extra: Matrix(zeros: design.rows, 0), response: response)
  }

  /// The system of the columns of `design` followed by those of `extra` (a few indicator
  /// columns, say), without copying either into one matrix: the Gram matrix is assembled from
  /// `dsyrk` on each and `dgemm` across them.
  public init(design: Matrix, extra: Matrix, response: [Double]) {
    precondition(response.count == design.rows && extra.rows == design.rows && design.rows > 0)
    rows = design.rows
    columns = design.columns + extra.columns
    let n = Double(design.rows)
    let means = design.columnMeans() + extra.columnMeans()
    self.means = means
    let responseMean = response.reduce(0, +) / n
    self.responseMean = responseMean
    // ZcᵀZc = XᵀX − n·x̄x̄ᵀ: one dsyrk on the design as it is, no centered copy. The downdate
    // loses about (mean/sd)²·1e-16 of relative precision, negligible for latency features;
    // constant columns are found exactly, by their range, not by a variance near zero.
    let designGram = design.gram()
    let cross = design.transposeTimes(extra)
    let extraGram = extra.gram()
    let p = design.columns
    var centeredGram = Matrix(zeros: columns, columns)
    for column in 0..<columns {
      for row in 0..<columns {
        let raw: Double
        switch (row < p, column < p) {
        case (true, true): raw = designGram[row, column]
        case (true, false): raw = cross[row, column - p]
        case (false, true): raw = cross[column, row - p]
        case (false, false): raw = extraGram[row - p, column - p]
        }
        centeredGram[row, column] = raw - n * means[row] * means[column]
      }
    }
    let ranges = design.columnRanges() + extra.columnRanges()
    let deviations = (0..<columns).map { column -> Double in
      ranges[column].min == ranges[column].max ? 0 : (max(centeredGram[column, column], 0) / n).squareRoot()
    }
    self.deviations = deviations
    let kept = deviations.indices.filter { deviations[$0] > 0 && deviations[$0] > 1e-10 * abs(means[$0]) }
    self.kept = kept
    var gram = Matrix(zeros: kept.count, kept.count)
    for (a, column) in kept.enumerated() {
      for (b, row) in kept.enumerated() {
        gram[b, a] = centeredGram[row, column] / (deviations[row] * deviations[column])
      }
    }
    self.gram = gram
    let centeredResponse = response.map { $0 - responseMean }
    responseSquares = centeredResponse.reduce(0) { $0 + $1 * $1 }
    // Zcᵀ(y − ȳ) = Xᵀ(y − ȳ): the centered response sums to zero.
    let products = design.transposeTimes(centeredResponse) + extra.transposeTimes(centeredResponse)
    crossProducts = kept.map { products[$0] / deviations[$0] }
  }

  /// The ridge fit with penalty λ ≥ 0 (Cholesky, LAPACK `dposv`).
  public func fit(penalty: Double) throws -> RidgeFit {
    var system = gram
    for index in 0..<kept.count { system[index, index] += penalty }
    let scaledCoefficients = try system.solvePositiveDefinite(crossProducts)
    var coefficients = [Double](repeating: 0, count: columns)
    for (a, column) in kept.enumerated() {
      coefficients[column] = scaledCoefficients[a] / deviations[column]
    }
    let intercept = responseMean - zip(coefficients, means).reduce(0) { $0 + $1.0 * $1.1 }
    let keptSet = Set(kept)
    return RidgeFit(
      intercept: intercept, coefficients: coefficients, penalty: penalty,
      droppedColumns: (0..<columns).filter { !keptSet.contains($0) })
  }

  /// The penalty minimizing generalized cross-validation over `grid`,
  /// GCV(λ) = n·RSS(λ) / (n − df(λ))², df(λ) = Σ sᵢ²/(sᵢ² + λ).
  ///
  /// One eigendecomposition ZᵀZ = V S² Vᵀ (LAPACK `dsyevd`) serves the whole grid: with
  /// c = VᵀZᵀ(y − ȳ), RSS(λ) = ‖y − ȳ‖² − Σ cᵢ²(sᵢ² + 2λ)/(sᵢ² + λ)².
  /// Reference: Golub, Heath & Wahba (1979), Technometrics 21(2).
  public func generalizedCrossValidation(grid: [Double]) throws -> (penalty: Double, scores: [Double]) {
    let n = Double(rows)
    let eigen = try SymmetricEigen(gram)
    let projected = eigen.vectors.transposeTimes(crossProducts)
    let squares = eigen.values.map { max($0, 0) }
    let scores = grid.map { lambda -> Double in
      var fitted = 0.0
      var degrees = 0.0
      for (c, s2) in zip(projected, squares) {
        fitted += c * c * (s2 + 2 * lambda) / ((s2 + lambda) * (s2 + lambda))
        degrees += s2 / (s2 + lambda)
      }
      let residual = max(responseSquares - fitted, 0)
      let denominator = n - degrees
      return denominator > 0 ? n * residual / (denominator * denominator) : .infinity
    }
    let best = scores.indices.min { scores[$0] < scores[$1] } ?? 0
    return (grid[best], scores)
  }
}

/// A least-squares fit with heteroskedasticity-robust (HC3) standard errors, for inference
/// on a modest number of columns.
public struct RobustFit: Sendable {
  /// Intercept first, then one coefficient per design column.
  public let coefficients: [Double]
  /// HC3 standard errors, same order.
  public let standardErrors: [Double]
  /// Two-sided p-values from the normal distribution (as statsmodels reports robust fits).
  public let pValues: [Double]
  /// Each row's leverage hᵢ = xᵢᵀ(XᵀX + λD)⁻¹xᵢ.
  public let leverages: [Double]
}

/// Least squares (optionally with a small ridge on the slopes) with an intercept, and HC3
/// covariance: (XᵀX + λD)⁻¹ Xᵀ diag(eᵢ²/(1 − hᵢ)²) X (XᵀX + λD)⁻¹.
///
/// Gram matrices by BLAS `dsyrk`, Cholesky by LAPACK `dpotrf`/`dpotrs`, leverages from the
/// whitened design X U⁻¹ (`dtrsm`). HC3 is robust to heteroskedastic and skewed errors and
/// conservative in small samples. Reference: MacKinnon & White (1985), J. Econometrics 29.
public enum RobustRegression {
  public static func fit(design: Matrix, response: [Double], penalty: Double = 0) throws -> RobustFit {
    let n = design.rows
    let x = Matrix(rows: n, columns: design.columns + 1, values: [Double](repeating: 1, count: n) + design.values)
    var normal = x.gram()
    for column in 1..<x.columns { normal[column, column] += penalty }
    let factor = try CholeskyFactor(normal)
    let coefficients = try factor.solve(x.transposeTimes(response))
    let fitted = x.times(coefficients)
    let whitened = factor.whiten(x)
    var leverages = [Double](repeating: 0, count: n)
    for column in 0..<whitened.columns {
      let base = column * n
      for row in 0..<n { leverages[row] += whitened.values[base + row] * whitened.values[base + row] }
    }
    let weights = (0..<n).map { row -> Double in
      let residual = response[row] - fitted[row]
      return residual / max(1 - leverages[row], 1e-12)
    }
    let meat = x.scalingRows(by: weights).gram()
    let half = try factor.solve(meat)  // A⁻¹M
    let covariance = try factor.solve(transpose(half))  // A⁻¹(A⁻¹M)ᵀ = A⁻¹MA⁻¹
    let errors = (0..<x.columns).map { covariance[$0, $0].squareRoot() }
    let pValues = zip(coefficients, errors).map { beta, error in
      error > 0 ? erfc(abs(beta / error) / 2.squareRoot()) : .nan
    }
    return RobustFit(
      coefficients: coefficients, standardErrors: errors, pValues: pValues, leverages: leverages)
  }

  private static func transpose(_ matrix: Matrix) -> Matrix {
    var result = Matrix(zeros: matrix.columns, matrix.rows)
    for column in 0..<matrix.columns {
      for row in 0..<matrix.rows { result[column, row] = matrix[row, column] }
    }
    return result
  }
}

/// Benjamini–Hochberg q-values: the smallest false discovery rate at which each p-value would
/// be rejected, qᵢ = min over j with p₍ⱼ₎ ≥ pᵢ of m·p₍ⱼ₎/j, capped at 1. NaN p-values stay NaN
/// and do not count among the m tests. Reference: Benjamini & Hochberg (1995), JRSS B 57(1).
public func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
  let tested = pValues.indices.filter { !pValues[$0].isNaN }.sorted { pValues[$0] < pValues[$1] }
  var q = [Double](repeating: .nan, count: pValues.count)
  var running = 1.0
  for (rank, index) in tested.enumerated().reversed() {
    running = min(running, pValues[index] * Double(tested.count) / Double(rank + 1))
    q[index] = running
  }
  return q
}
