import Dispatch
import Foundation
import WhyslowLinalg
import WhyslowIngest

/// Stage 5, the intervals: a bootstrap over traces within each (endpoint, batch) cell
/// (Poisson weights keyed by trace, or each cell resampled to its size: `Resampling`),
/// giving draws of every suspect's growth and every finding's contribution.
///
/// A suspect's growth is linear in the weights: with each replicate's weights folded with the
/// combination of cells (`Strata.folded`), one `dgemm` per batch of replicates gives every
/// suspect's growth in each, and one more every finding's difference. Findings refit the shared explanatory design for every replicate: up to
/// `AnalysisOptions.exactBootstrapLimit` traces exactly (a weighted Gram matrix, a Cholesky
/// factor and a multi-right-hand-side solve per replicate, replicates on every core); above,
/// by the one-step linearization β + A⁻¹Xᵀdiag(eₛ)(w − 1), one `dgemm` for all findings.
/// Reference: Efron & Tibshirani (1993); Hu & Kalbfleisch (2000).
struct BootstrapDraws {
  /// Per candidate suspect, its growth in each replicate.
  let growth: [[Double]]
  /// Per explanatory column, its contribution in each replicate with a solvable system
  /// (`explain`).
  private(set) var contributions: [[Double]] = []
  /// The replicates' weights of every trace, raw (for the refits) and folded (for the
  /// differences), a chunk of replicates each: all of them while a chunk's weights stay within
  /// 32 MB (fewer, larger products), at least 25.
  private let chunks: [(replicates: [[Double]], folded: Strata.FoldedWeights)]

  /// Draws the replicates and each candidate's growth in every one of them: nothing here
  /// needs the explanation, so it can run beside it.
  init(_ strata: Strata, _ accounting: CriticalPathAccounting, options: AnalysisOptions) {
    let replicates: [[Double]]
    switch options.resampling {
    case .poisson:  // each replicate's weights depend on the replicate alone: drawn on every core
      let drawn = ConcurrentSlots<[Double]>(count: options.bootstrapReplicates)
      DispatchQueue.concurrentPerform(iterations: options.bootstrapReplicates) { replicate in
        drawn.set(replicate, strata.poissonWeights(replicate: replicate, seed: options.seed))
      }
      replicates = drawn.values.map { $0 ?? [] }
    case .multinomial:
      var random = SeededRandom(seed: options.seed)
      replicates = (0..<options.bootstrapReplicates).map { _ in strata.bootstrapWeights(&random) }
    }
    let size = max(25, min(replicates.count, (1 << 22) / max(accounting.values.rows, 1)))
    chunks = stride(from: 0, to: replicates.count, by: size).map { first in
      let sets = Array(replicates[first..<min(first + size, replicates.count)])
      return (sets, strata.folded(sets))
    }
    var growth = [[Double]](repeating: [], count: accounting.candidates.count)
    for chunk in chunks {
      for draws in strata.differences(accounting.values, chunk.folded) {
        for (candidate, value) in draws.enumerated() { growth[candidate].append(value) }
      }
    }
    self.growth = growth
  }

  /// Each explanatory column's contribution βⱼdⱼ in every replicate: the design refitted
  /// exactly up to `AnalysisOptions.exactBootstrapLimit` traces, linearized above that.
  mutating func explain(_ explanation: SuspectExplanation, _ strata: Strata, options: AnalysisOptions) {
    contributions = [[Double]](repeating: [], count: explanation.columns.count)
    guard explanation.fit != nil, !explanation.columns.isEmpty else { return }
    let x = explanation.designWithIntercept
    let features = Matrix(prefixOf: explanation.design.values, rows: x.rows, columns: explanation.columns.count)
    let linearized =
      x.rows > options.exactBootstrapLimit
      ? explanation.fit.map { Linearized(fit: $0, owner: explanation.owner) }
      : nil
    for (sets, folded) in chunks {
      // The linearized steps beside the differences; exact refits take every core themselves.
      let (differences, betas) =
        if let linearized {
          sideBySide({ strata.differences(features, folded) }, { linearized.coefficients(sets) })
        } else {
          (strata.differences(features, folded), Self.refits(x, explanation.responses, sets, penalty: explanation.penalty))
        }
      for (set, beta) in betas.enumerated() {
        guard let beta else { continue }
        for (column, d) in differences[set].enumerated() {
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
  /// and e the full fit's residuals, for the coefficients the findings use: feature j of its
  /// owner s only. Row j of A⁻¹Xᵀ is column j of X A⁻¹ (the fit's, two `dtrsm`), so the steps
  /// of all findings in all replicates are one `dgemm`: (X A⁻¹ ∘ e_owner)ᵀ (W − 1), with
  /// W the weights (rows × replicates).
  private struct Linearized {
    let beta: Matrix
    let owner: [Int]
    /// Rows × findings: (X A⁻¹)ᵢ,ⱼ₊₁ · eᵢ,owner(j).
    let influence: Matrix

    init(fit: LeastSquaresFit, owner: [Int]) {
      let spread = fit.designTimesInverse
      var influence = Matrix(zeros: spread.rows, owner.count)
      for (column, response) in owner.enumerated() {
        let residuals = fit.residuals.column(response)
        let coefficient = spread.column(column + 1)
        for row in 0..<spread.rows {
          influence[row, column] = coefficient[coefficient.startIndex + row] * residuals[residuals.startIndex + row]
        }
      }
      beta = fit.coefficients
      self.owner = owner
      self.influence = influence
    }

    func coefficients(_ sets: [[Double]]) -> [Matrix?] {
      let rows = influence.rows
      var excesses = [Double](repeating: 0, count: rows * sets.count)  // rows × sets
      excesses.withUnsafeMutableBufferPointer { excesses in
        for (set, weights) in sets.enumerated() {
          for row in 0..<rows { excesses[set * rows + row] = weights[row] - 1 }
        }
      }
      let excess = Matrix(rows: rows, columns: sets.count, values: excesses)
      let steps = influence.transposeTimes(excess)  // findings × sets
      return sets.indices.map { set in
        var result = beta
        for (column, response) in owner.enumerated() { result[column + 1, response] += steps[column, set] }
        return result
      }
    }
  }
}
