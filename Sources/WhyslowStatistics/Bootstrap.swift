import Dispatch
import Foundation
import WhyslowLinalg
import WhyslowIngest

/// Stage 5, the intervals: a stratified bootstrap over traces (each endpoint and batch cell
/// resampled to its size), giving draws of every suspect's growth and every finding's
/// contribution.
///
/// A suspect's growth is linear in the weights: per batch of replicates, one `dgemm` per
/// cell. Findings refit the shared explanatory design for every replicate: up to
/// `AnalysisOptions.exactBootstrapLimit` traces exactly (a weighted Gram matrix, a Cholesky
/// factor and a multi-right-hand-side solve per replicate, replicates on every core); above,
/// by the one-step linearization β + A⁻¹Xᵀdiag(eₛ)(w − 1) per response s, one `dgemm` each.
/// Reference: Efron & Tibshirani (1993); Hu & Kalbfleisch (2000).
struct BootstrapDraws {
  /// Per candidate suspect, its growth in each replicate.
  private(set) var growth: [[Double]]
  /// Per explanatory column, its contribution in each replicate with a solvable system.
  private(set) var contributions: [[Double]]

  init(
    _ strata: Strata, _ accounting: CriticalPathAccounting, _ explanation: SuspectExplanation,
    options: AnalysisOptions
  ) throws {
    growth = [[Double]](repeating: [], count: accounting.candidates.count)
    contributions = [[Double]](repeating: [], count: explanation.columns.count)
    var random = SeededRandom(seed: options.seed)
    let replicates = (0..<options.bootstrapReplicates).map { _ in strata.bootstrapWeights(&random) }
    let x = explanation.designWithIntercept
    let features = Matrix(
      rows: x.rows, columns: explanation.columns.count,
      values: Array(explanation.design.values.prefix(x.rows * explanation.columns.count)))
    let blocks = [strata.cellOrdered(features), strata.cellOrdered(accounting.values)]
    let linearized =
      x.rows > options.exactBootstrapLimit
      ? try explanation.fit.map { try Linearized(x, fit: $0, penalty: explanation.penalty) } : nil
    let chunk = 25  // replicates per batched dgemm, to bound the weight matrix's memory
    for first in stride(from: 0, to: replicates.count, by: chunk) {
      let sets = Array(replicates[first..<min(first + chunk, replicates.count)])
      let batched = strata.differences(blocks, weightSets: sets)
      for draws in batched[1] {
        for (candidate, value) in draws.enumerated() { growth[candidate].append(value) }
      }
      guard explanation.fit != nil, !explanation.columns.isEmpty else { continue }
      let betas =
        try linearized?.coefficients(sets)
        ?? Self.refits(x, explanation.responses, sets, penalty: explanation.penalty)
      for (set, beta) in betas.enumerated() {
        guard let beta else { continue }
        for (column, d) in batched[0][set].enumerated() {
          contributions[column].append(beta[column + 1, explanation.owner[column]] * d)
        }
      }
    }
  }

  /// The exact least-squares coefficients of each replicate (nil where its system is
  /// singular): XᵀWX over the rows drawn at least once and XᵀWY. Replicates run on every
  /// core, each worker with its own scratch buffer and single-threaded BLAS.
  private static func refits(_ x: Matrix, _ y: Matrix, _ sets: [[Double]], penalty: Double) -> [Matrix?] {
    let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, sets.count))
    let threads = BLASThreads.current
    BLASThreads.set(1)
    defer { BLASThreads.set(threads) }
    let results = ConcurrentSlots<Matrix>(count: sets.count)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      var scratch: [Double] = []
      for index in stride(from: worker, to: sets.count, by: workers) {
        let weights = sets[index]
        let drawn = weights.indices.filter { weights[$0] > 0 }
        var normal = x.gram(ofRows: drawn, scaledBy: drawn.map { weights[$0].squareRoot() }, scratch: &scratch)
        for column in 1..<x.columns { normal[column, column] += penalty }
        let beta = (try? CholeskyFactor(normal)).flatMap { try? $0.solve(x.transposeTimes(y.scalingRows(by: weights))) }
        results.set(index, beta)
      }
    }
    return results.values
  }

  /// One-step coefficients β + A⁻¹ Xᵀ diag(eₛ) (w − 1) for each response s, with A = XᵀX + λD
  /// and e the full fit's residuals: factored once; per response, the weight excesses scaled by
  /// its residuals, one `dgemm` with the shared design and one solve.
  private struct Linearized {
    let x: Matrix
    let beta: Matrix
    let factor: CholeskyFactor
    let residuals: Matrix

    init(_ x: Matrix, fit: LeastSquaresFit, penalty: Double) throws {
      var normal = x.gram()
      for column in 1..<x.columns { normal[column, column] += penalty }
      self.x = x
      beta = fit.coefficients
      factor = try CholeskyFactor(normal)
      residuals = fit.residuals
    }

    func coefficients(_ sets: [[Double]]) throws -> [Matrix?] {
      var excess = Matrix(zeros: x.rows, sets.count)
      for (set, weights) in sets.enumerated() {
        for row in 0..<x.rows { excess[row, set] = weights[row] - 1 }
      }
      var result = [Matrix](repeating: beta, count: sets.count)
      for response in 0..<residuals.columns {
        let scaled = excess.scalingRows(by: Array(residuals.column(response)))
        let steps = try factor.solve(x.transposeTimes(scaled))  // columns × sets
        for set in sets.indices {
          for row in 0..<beta.rows { result[set][row, response] += steps[row, set] }
        }
      }
      return result
    }
  }
}
