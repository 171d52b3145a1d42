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
  /// influence per unit of row i's residual (the HC3 errors are built from it).
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
        return (leverages, factor.timesInverse(whitened: whitened))
      })
    return LeastSquaresFit(
      coefficients: coefficients, standardErrors: hc3Errors(designTimesInverse, residuals, leverages),
      leverages: leverages, residuals: residuals, designTimesInverse: designTimesInverse)
  }

  /// The fit of `fit(design:responses:penalty:)` whose design is `features` followed by one
  /// indicator column per group but group 0 (`groups[i]`, in 0..<`groupCount`, is row i's:
  /// fixed effects), without building those columns: with B the intercept and indicators and
  /// F the features, block elimination leaves the p × p Schur complement S = FᵀMF + λI, with
  /// M = I − B(BᵀB + Λ)⁻¹Bᵀ and BᵀB + Λ an arrowhead matrix of group counts, so the cost grows
  /// with the features, not with the groups. β = S⁻¹FᵀMY, residuals M(Y − Fβ), leverages
  /// bᵢᵀ(BᵀB + Λ)⁻¹bᵢ + ‖(MF)ᵢU⁻¹‖² (S = UᵀU), X A⁻¹ on the features MF S⁻¹: the same numbers
  /// as the full design gives, to rounding. Coefficients, errors and X A⁻¹ cover the intercept
  /// and the features (rows 0…p); the indicators' own are not formed.
  public static func fit(
    features: Matrix, groups: [Int], groupCount: Int, responses: Matrix, penalty: Double = 0
  ) throws -> LeastSquaresFit {
    let (n, e) = (features.rows, groupCount)
    precondition(responses.rows == n && groups.count == n && e >= 1)
    let features =  // the matrix's own entries only, when it is the leading columns of a larger array
      features.values.count == n * features.columns
      ? features : Matrix(rows: n, columns: features.columns, values: Array(features.values.prefix(n * features.columns)))
    var counts = [Double](repeating: 0, count: e)
    for group in groups { counts[group] += 1 }
    var blockNormal = Matrix(zeros: e, e)  // BᵀB + Λ: the intercept's row and column, then each indicator's count
    blockNormal[0, 0] = Double(n)
    for group in 1..<e {
      (blockNormal[0, group], blockNormal[group, 0]) = (counts[group], counts[group])
      blockNormal[group, group] = counts[group] + penalty
    }
    let blockFactor = try CholeskyFactor(blockNormal)
    /// G = (BᵀB + Λ)⁻¹BᵀV and MV = V − BG, for the columns of V: each row's group sums and
    /// its fitted block part looked up by group, without a branch.
    func eliminated(_ v: Matrix) throws -> (mv: Matrix, g: Matrix) {
      var sums = Matrix(zeros: e, v.columns)  // BᵀV: column sums, then each indicator's
      var groupSums = [Double](repeating: 0, count: e)
      for column in 0..<v.columns {
        for group in 0..<e { groupSums[group] = 0 }
        v.values.withUnsafeBufferPointer { values in
          groups.withUnsafeBufferPointer { groups in
            for row in 0..<n { groupSums[groups[row]] += values[column * n + row] }
          }
        }
        sums[0, column] = groupSums.reduce(0, +)
        for group in 1..<e { sums[group, column] = groupSums[group] }
      }
      let g = try blockFactor.solve(sums)
      var mv = Matrix(zeros: n, v.columns)
      var fitted = [Double](repeating: 0, count: e)  // per group, the block's fitted value
      for column in 0..<v.columns {
        for group in 0..<e { fitted[group] = g[0, column] + (group > 0 ? g[group, column] : 0) }
        v.values.withUnsafeBufferPointer { values in
          mv.values.withUnsafeMutableBufferPointer { mv in
            groups.withUnsafeBufferPointer { groups in
              for row in 0..<n { mv[column * n + row] = values[column * n + row] - fitted[groups[row]] }
            }
          }
        }
      }
      return (mv, g)
    }
    let (mf, gf) = try eliminated(features)
    let (my, gy) = try eliminated(responses)
    var reduced = features.transposeTimes(mf)
    for column in 0..<features.columns { reduced[column, column] += penalty }
    let factor = try CholeskyFactor(reduced)
    let beta = try factor.solve(features.transposeTimes(my))
    let ((intercept, residuals), (leverages, designTimesInverse)) = try sideBySide(
      {
        let fitted = mf.times(beta)
        var residuals = my
        for index in residuals.values.indices { residuals.values[index] -= fitted.values[index] }
        let blockFitted = gf.times(beta)
        let intercept = (0..<responses.columns).map { gy[0, $0] - blockFitted[0, $0] }
        return (intercept, residuals)
      },
      {
        let inverse = try blockFactor.solve(identity(e))
        let whitened = factor.whiten(mf)  // MF U⁻¹: its rows' norms, then X A⁻¹ from it
        var leverages = groups.map { group in
          inverse[0, 0] + (group > 0 ? 2 * inverse[0, group] + inverse[group, group] : 0)
        }
        for column in 0..<whitened.columns {
          let base = column * n
          for row in 0..<n { leverages[row] += whitened.values[base + row] * whitened.values[base + row] }
        }
        // The intercept's column of X A⁻¹ is B(BᵀB + Λ)⁻¹e₀ − MF S⁻¹ Fᵀ B(BᵀB + Λ)⁻¹e₀.
        let spread = factor.timesInverse(whitened: whitened)
        let interceptSpread = groups.map { group in inverse[0, 0] + (group > 0 ? inverse[group, 0] : 0) }
        let correction = spread.times(features.transposeTimes(interceptSpread))
        return (leverages, Matrix(rows: n, columns: features.columns + 1, values: zip(interceptSpread, correction).map { $0 - $1 } + spread.values))
      })
    let coefficients = Matrix(rows: features.columns + 1, columns: responses.columns, values: (0..<responses.columns).flatMap { response in
      [intercept[response]] + beta.column(response)
    })
    return LeastSquaresFit(
      coefficients: coefficients, standardErrors: hc3Errors(designTimesInverse, residuals, leverages),
      leverages: leverages, residuals: residuals, designTimesInverse: designTimesInverse)
  }

  /// HC3 standard errors: per coefficient j and response s, (Σᵢ Qᵢⱼ² eᵢₛ²/(1 − hᵢ)²)^½ with
  /// Q = X A⁻¹, one `dgemm` for all.
  private static func hc3Errors(_ designTimesInverse: Matrix, _ residuals: Matrix, _ leverages: [Double]) -> Matrix {
    var influence = designTimesInverse
    for index in influence.values.indices { influence.values[index] *= influence.values[index] }
    var scaled = residuals
    for response in 0..<residuals.columns {
      for row in 0..<residuals.rows {
        let value = residuals[row, response] / max(1 - leverages[row], 1e-12)
        scaled[row, response] = value * value
      }
    }
    var errors = influence.transposeTimes(scaled)
    for index in errors.values.indices { errors.values[index] = max(errors.values[index], 0).squareRoot() }
    return errors
  }

  private static func identity(_ order: Int) -> Matrix {
    var result = Matrix(zeros: order, order)
    for index in 0..<order { result[index, index] = 1 }
    return result
  }
}
