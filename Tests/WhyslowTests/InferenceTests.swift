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
  let ols: OLS
  let bh: BH
}

let inferenceReference = try? JSONDecoder().decode(
  InferenceReference.self, from: Data(contentsOf: fixture("inference_reference.json")))

struct InferenceTests {
  /// Tolerance 1e-8 relative: deterministic linear algebra on a 4×4 system; the rest is room
  /// for summation order.
  /// The second response, 2y + 1, has coefficients 2β + (1, 0, 0, 0) and residuals 2e, so
  /// HC3 errors 2·se: fitted at once with y, both must hold.
  @Test func hc3FitMatchesStatsmodelsForEveryResponse() throws {
    let reference = try #require(inferenceReference).ols
    let fit = try LeastSquares.fit(
      design: Matrix(rows: reference.rows, columns: reference.columns, values: reference.design_column_major),
      responses: Matrix(
        rows: reference.rows, columns: 2, values: reference.response + reference.response.map { 2 * $0 + 1 }))
    for index in 0..<4 {
      #expect(close(fit.coefficients[index, 0], reference.params[index], relative: 1e-8))
      #expect(close(fit.standardErrors[index, 0], reference.bse[index], relative: 1e-8))
      let p = erfc(abs(fit.coefficients[index, 0] / fit.standardErrors[index, 0]) / 2.squareRoot())
      #expect(close(p, reference.pvalues[index], relative: 1e-8))
      let doubled = 2 * reference.params[index] + (index == 0 ? 1 : 0)
      #expect(close(fit.coefficients[index, 1], doubled, relative: 1e-8))
      #expect(close(fit.standardErrors[index, 1], 2 * reference.bse[index], relative: 1e-8))
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
}
