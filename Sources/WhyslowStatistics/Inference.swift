import Foundation

/// A quantity in milliseconds with its 95% bootstrap interval and its test.
public struct Estimate: Sendable, Equatable {
  /// The point estimate, ms.
  public let value: Double
  /// 95% bootstrap percentile interval, ms (NaN with fewer than 20 replicates).
  public let low: Double
  public let high: Double
  /// Two-sided p-value of "no effect".
  public let pValue: Double
  /// Its Benjamini–Hochberg q-value among the estimates it was tested with.
  public let qValue: Double
}

/// The two-sided normal p-value of a z statistic, 2(1 − Φ(|z|)) = erfc(|z|/√2); NaN when the
/// standard error is not positive.
func twoSidedPValue(_ estimate: Double, standardError: Double) -> Double {
  standardError > 0 ? erfc(abs(estimate / standardError) / 2.squareRoot()) : .nan
}

/// The 2.5% and 97.5% percentiles of bootstrap draws; NaN with fewer than 20 draws.
func percentileInterval(_ draws: [Double]) -> (low: Double, high: Double) {
  guard draws.count >= 20 else { return (.nan, .nan) }
  let sorted = draws.sorted()
  return (percentile(sorted, 0.025), percentile(sorted, 0.975))
}

/// Two-sided p-value of the van Elteren test that the second sample of each stratum tends to be
/// larger (or smaller) than the first: per stratum the Mann–Whitney statistic U (midranks for
/// ties), combined as T = Σ (U − n₁n₂/2)/(N + 1) with variance
/// Σ n₁n₂/12 · ((N + 1) − Σ(t³ − t)/(N(N − 1)))/(N + 1)², normal approximation, no continuity
/// correction. Strata with an empty side are skipped; NaN when none is left or the variance is
/// 0. With one stratum it is the Mann–Whitney test (scipy's `mannwhitneyu`, asymptotic, without
/// continuity correction). Reference: van Elteren (1960), Bull. Int. Statist. Inst. 37.
public func vanElterenPValue(_ strata: [(fast: [Double], slow: [Double])]) -> Double {
  var statistic = 0.0
  var variance = 0.0
  for stratum in strata where !stratum.fast.isEmpty && !stratum.slow.isEmpty {
    // Both sides sorted, then merged value by value: midranks and tie sizes in one pass.
    let fast = stratum.fast.sorted()
    let slow = stratum.slow.sorted()
    let total = Double(fast.count + slow.count)
    var slowRanks = 0.0
    var ties = 0.0
    var (i, j, ranked) = (0, 0, 0)
    while i < fast.count || j < slow.count {
      let next = min(i < fast.count ? fast[i] : .infinity, j < slow.count ? slow[j] : .infinity)
      let (fastStart, slowStart) = (i, j)
      while i < fast.count && fast[i] == next { i += 1 }
      while j < slow.count && slow[j] == next { j += 1 }
      let tied = Double(i - fastStart + j - slowStart)
      slowRanks += Double(j - slowStart) * (Double(ranked) + (tied + 1) / 2)
      ties += tied * tied * tied - tied
      ranked += i - fastStart + j - slowStart
    }
    let (n1, n2) = (Double(fast.count), Double(slow.count))
    let weight = 1 / (total + 1)
    statistic += weight * (slowRanks - n2 * (n2 + 1) / 2 - n1 * n2 / 2)
    let tieCorrection = total > 1 ? ties / (total * (total - 1)) : 0
    variance += weight * weight * n1 * n2 / 12 * ((total + 1) - tieCorrection)
  }
  return variance > 0 ? twoSidedPValue(statistic, standardError: variance.squareRoot()) : .nan
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

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
func inverseNormal(_ p: Double) -> Double {
  let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
  let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
  let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
  let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
  let p = min(max(p, 1e-300), 1 - 1e-16)
  if p < 0.02425 {
    let q = (-2 * log(p)).squareRoot()
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
  }
  if p > 1 - 0.02425 { return -inverseNormal(1 - p) }
  let q = p - 0.5
  let r = q * q
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
}
