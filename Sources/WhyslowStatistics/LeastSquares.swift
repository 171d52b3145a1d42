import Foundation
import WhyslowLinalg

/// Least-squares fits of several responses on one design, with HC3 standard errors.
public struct LeastSquaresFit: Sendable {
  /// (design columns + 1) × responses: the intercept in row 0, then one row per column.
  public let coefficients: Matrix
  /// HC3 standard errors, same shape.
  public let standardErrors: Matrix
  /// Each row's leverage hᵢ = xᵢᵀ(XᵀX + λD)⁻¹xᵢ (the design is shared, so one per row).
  public let leverages: [Double]
  /// Rows × responses: yᵢ − xᵢᵀβ.
  public let residuals: Matrix
  /// Rows × (design columns + 1): X(XᵀX + λD)⁻¹, whose row i is each coefficient's
  /// influence per unit of row i's residual (the linearized bootstrap reuses it).
  public let designTimesInverse: Matrix
}

/// Least squares with an intercept (optionally a small ridge λ on the slopes) for many
/// responses at once, with HC3 covariance per response:
/// (XᵀX + λD)⁻¹ Xᵀ diag(eᵢ²/(1 − hᵢ)²) X (XᵀX + λD)⁻¹.
///
/// One Gram matrix (BLAS `dsyrk`) and one Cholesky factor (LAPACK `dpotrf`) serve every
/// response: coefficients are one multi-right-hand-side solve (`dpotrs`) of XᵀY (`dgemm`).
/// With Q = X A⁻¹ (two `dtrsm`), the HC3 variance of coefficient j of response s is
/// Σᵢ Qᵢⱼ² eᵢₛ²/(1 − hᵢ)², so all standard errors are one `dgemm` of (Q∘Q)ᵀ and the squared
/// scaled residuals; leverages are the row norms of X U⁻¹. HC3 is robust to heteroskedastic
/// and skewed errors and conservative in small samples.
/// Reference: MacKinnon & White (1985), J. Econometrics 29.
public enum LeastSquares {
  public static func fit(design: Matrix, responses: Matrix, penalty: Double = 0) throws -> LeastSquaresFit {
    let n = design.rows
    precondition(responses.rows == n)
    let x = Matrix(rows: n, columns: design.columns + 1, values: [Double](repeating: 1, count: n) + design.values)
    var normal = x.gram()
    for column in 1..<x.columns { normal[column, column] += penalty }
    let factor = try CholeskyFactor(normal)
    // The fit and its residuals beside the leverages and X A⁻¹ (independent given the factor).
    let ((coefficients, residuals), (leverages, designTimesInverse)) = try sideBySide(
      {
        let coefficients = try factor.solve(x.transposeTimes(responses))
        let fitted = x.times(coefficients)
        var residuals = responses
        for index in residuals.values.indices { residuals.values[index] -= fitted.values[index] }
        return (coefficients, residuals)
      },
      {
        let whitened = factor.whiten(x)
        var leverages = [Double](repeating: 0, count: n)
        for column in 0..<whitened.columns {
          let base = column * n
          for row in 0..<n { leverages[row] += whitened.values[base + row] * whitened.values[base + row] }
        }
        return (leverages, factor.timesInverse(x))
      })
    var influence = designTimesInverse
    for index in influence.values.indices { influence.values[index] *= influence.values[index] }
    var scaled = residuals
    for response in 0..<responses.columns {
      for row in 0..<n {
        let value = residuals[row, response] / max(1 - leverages[row], 1e-12)
        scaled[row, response] = value * value
      }
    }
    var errors = influence.transposeTimes(scaled)
    for index in errors.values.indices { errors.values[index] = max(errors.values[index], 0).squareRoot() }
    return LeastSquaresFit(
      coefficients: coefficients, standardErrors: errors, leverages: leverages, residuals: residuals,
      designTimesInverse: designTimesInverse)
  }
}
