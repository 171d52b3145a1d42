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
/// Cholesky (LAPACK `dposv`). λ > 0 makes the system positive definite even when columns are
/// collinear or outnumber the rows, at the price of shrinking coefficients towards 0.
/// Reference: Hoerl & Kennard (1970), Technometrics 12(1).
public enum RidgeRegression {
  /// Fits `response` on the columns of `design` with penalty λ = `penalty` ≥ 0.
  /// With λ = 0 this is ordinary least squares and needs full column rank.
  public static func fit(design: Matrix, response: [Double], penalty: Double) throws -> RidgeFit {
    precondition(response.count == design.rows && design.rows > 0 && penalty >= 0)
    let n = Double(design.rows)
    let means = design.columnMeans()
    let responseMean = response.reduce(0, +) / n

    var centered = design
    centered.shiftAndScaleColumns(
      shift: means, scale: [Double](repeating: 1, count: design.columns))
    let centeredGram = centered.gram()
    let deviations = (0..<design.columns).map { (centeredGram[$0, $0] / n).squareRoot() }
    let varies = (0..<design.columns).map {
      deviations[$0] > 0 && deviations[$0] > 1e-10 * abs(means[$0])
    }
    let kept = varies.indices.filter { varies[$0] }
    let dropped = varies.indices.filter { !varies[$0] }

    var system = Matrix(zeros: kept.count, kept.count)
    for (a, column) in kept.enumerated() {
      for (b, row) in kept.enumerated() {
        system[b, a] = centeredGram[row, column] / (deviations[row] * deviations[column])
      }
      system[a, a] += penalty
    }
    let crossProducts = centered.transposeTimes(response.map { $0 - responseMean })
    let rightHandSide = kept.map { crossProducts[$0] / deviations[$0] }
    let scaledCoefficients = try system.solvePositiveDefinite(rightHandSide)

    var coefficients = [Double](repeating: 0, count: design.columns)
    for (a, column) in kept.enumerated() {
      coefficients[column] = scaledCoefficients[a] / deviations[column]
    }
    let intercept = responseMean - zip(coefficients, means).reduce(0) { $0 + $1.0 * $1.1 }
    return RidgeFit(
      intercept: intercept, coefficients: coefficients, penalty: penalty, droppedColumns: dropped)
  }
}
