import Foundation
import Testing
import WhyslowLinalg
import WhyslowStatistics

/// statsmodels and numpy reference written by scripts/reference_inference.py.
struct InferenceReference: Decodable {
  struct OLS: Decodable {
    let rows: Int
    let columns: Int
    let design_column_major: [Double]
    let response: [Double]
    let params: [Double]
    let bse: [Double]
    let pvalues: [Double]
  }
  struct BH: Decodable {
    let pvalues: [Double]
    let qvalues: [Double]
  }
  struct GCV: Decodable {
    let rows: Int
    let columns: Int
    let design_column_major: [Double]
    let response: [Double]
    let penalty: Double
    let scores: [Double]
  }
  let ols: OLS
  let bh: BH
  let gcv: GCV
}

let inferenceReference = try? JSONDecoder().decode(
  InferenceReference.self, from: Data(contentsOf: fixture("inference_reference.json")))

struct InferenceTests {
  /// Tolerance 1e-8 relative: deterministic linear algebra on a 4×4 system; the rest is room
  /// for summation order.
  @Test func hc3FitMatchesStatsmodels() throws {
    let reference = try #require(inferenceReference).ols
    let fit = try RobustRegression.fit(
      design: Matrix(rows: reference.rows, columns: reference.columns, values: reference.design_column_major),
      response: reference.response)
    for index in 0..<4 {
      #expect(close(fit.coefficients[index], reference.params[index], relative: 1e-8))
      #expect(close(fit.standardErrors[index], reference.bse[index], relative: 1e-8))
      #expect(close(fit.pValues[index], reference.pvalues[index], relative: 1e-8))
    }
  }

  @Test func benjaminiHochbergMatchesStatsmodels() throws {
    let reference = try #require(inferenceReference).bh
    let q = benjaminiHochberg(reference.pvalues)
    for (actual, expected) in zip(q, reference.qvalues) {
      #expect(close(actual, expected, relative: 1e-12))
    }
    #expect(benjaminiHochberg([0.01, .nan, 0.02]).map { $0.isNaN } == [false, true, false])
  }

  /// The eigendecomposition route must pick numpy's SVD route's penalty, with scores equal to
  /// 1e-8 relative.
  @Test func generalizedCrossValidationMatchesNumpy() throws {
    let reference = try #require(inferenceReference).gcv
    let design = Matrix(rows: reference.rows, columns: reference.columns, values: reference.design_column_major)
    let result = try RidgeRegression.generalizedCrossValidation(
      design: design, response: reference.response, grid: RidgeRegression.penaltyGrid(rows: reference.rows))
    #expect(close(result.penalty, reference.penalty, relative: 1e-12))
    for (actual, expected) in zip(result.scores, reference.scores) {
      #expect(close(actual, expected, relative: 1e-8))
    }
  }
}
