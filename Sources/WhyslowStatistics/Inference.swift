import Foundation

/// A quantity in milliseconds with its 95% confidence interval and its test, from one
/// Student t: the interval excludes the null value exactly when p < 0.05, so a star (q below
/// the false discovery rate, hence p below it) always comes with an interval that agrees.
public struct Estimate: Sendable, Equatable {
  /// The point estimate, ms.
  public let value: Double
  /// The 95% interval, value ± t₀.₉₇₅,ν · standard error, ms (NaN when untestable).
  public let low: Double
  public let high: Double
  /// Two-sided p-value of "no effect beyond the minimum effect", at least `smallestPValue`.
  public let pValue: Double
  /// Its Benjamini–Hochberg q-value among the estimates it was tested with.
  public let qValue: Double

  init(value: Double, low: Double, high: Double, pValue: Double, qValue: Double) {
    self.value = value
    self.low = low
    self.high = high
    self.pValue = pValue
    self.qValue = qValue
  }

  /// `test` with its interval, and its p-value (`TTest.pValue`, computed once by the caller
  /// for the q-values) and q-value.
  init(_ test: TTest, pValue: Double, qValue: Double) {
    let interval = test.interval95
    self.init(value: test.estimate, low: interval.low, high: interval.high, pValue: pValue, qValue: qValue)
  }

  /// p-values below this are reported as this bound: no test here is accurate beyond it (the
  /// t distribution is an approximation of the tails of real timings long before 1e-16).
  public static let smallestPValue = 1e-16
}

/// An estimate with its standard error and degrees of freedom: Student's t test and interval.
struct TTest {
  let estimate: Double
  let standardError: Double
  let degreesOfFreedom: Double

  /// The test of "|effect| ≤ δ" (δ = `minimumEffect` ≥ 0) against "|effect| > δ":
  /// p = min(1, 2·P(T ≥ (|d| − δ)/se)), the p of the two-sided test at the boundary, so
  /// p < α exactly when the 1 − α interval lies wholly beyond ±δ. δ = 0 is the usual two-sided
  /// t test. At least `Estimate.smallestPValue`; NaN when the standard error is not positive.
  func pValue(minimumEffect: Double = 0) -> Double {
    guard standardError > 0, degreesOfFreedom > 0, estimate.isFinite else { return .nan }
    let t = (abs(estimate) - minimumEffect) / standardError
    let p = min(1, 2 * StudentT(degreesOfFreedom: degreesOfFreedom).upperTail(t))
    return max(p, Estimate.smallestPValue)
  }

  /// estimate ± t₀.₉₇₅,ν · se; NaN when untestable.
  var interval95: (low: Double, high: Double) {
    guard standardError > 0, degreesOfFreedom > 0, estimate.isFinite else { return (.nan, .nan) }
    let half = StudentT(degreesOfFreedom: degreesOfFreedom).quantile(0.975) * standardError
    return (estimate - half, estimate + half)
  }
}

extension TTest {
  /// Welch's t test of mean(slow) − mean(fast) (or of `estimate`, the same difference summed
  /// in another order).
  static func welch(slow: [Double], fast: [Double], estimate: Double? = nil) -> TTest {
    contrast([(slow, 1), (fast, -1)], estimate: estimate)
  }

  /// The t test of Σ cₖ · mean(groupₖ) over independent groups: variance Σ cₖ² s²ₖ/nₖ, Welch–
  /// Satterthwaite degrees of freedom (Welch's test for two groups with c = 1, −1); untestable
  /// (NaN standard error) when a group has fewer than two values.
  static func contrast(_ groups: [(values: [Double], coefficient: Double)], estimate: Double? = nil) -> TTest {
    var (sum, variance, denominator) = (0.0, 0.0, 0.0)
    var testable = true
    for (values, coefficient) in groups {
      let count = Double(values.count)
      let mean = values.reduce(0, +) / count
      sum += coefficient * mean
      guard values.count >= 2 else {
        testable = false
        continue
      }
      let part = coefficient * coefficient * values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1) / count
      variance += part
      denominator += part * part / (count - 1)
    }
    let value = estimate ?? sum
    guard testable else { return TTest(estimate: value, standardError: .nan, degreesOfFreedom: .nan) }
    return TTest(estimate: value, standardError: variance.squareRoot(), degreesOfFreedom: variance * variance / denominator)
  }
}

/// The two-sided normal p-value of a z statistic, 2(1 − Φ(|z|)) = erfc(|z|/√2); NaN when the
/// standard error is not positive.
func twoSidedPValue(_ estimate: Double, standardError: Double) -> Double {
  standardError > 0 ? erfc(abs(estimate / standardError) / 2.squareRoot()) : .nan
}

/// Student's t distribution with ν > 0 degrees of freedom (ν need not be whole: Welch–
/// Satterthwaite gives fractions).
///
/// The tail comes from the regularized incomplete beta function, P(|T| ≥ t) = I_{ν/(ν+t²)}(ν/2,
/// 1/2), by its continued fraction (modified Lentz): 1e-12 relative up to 1,000 degrees of
/// freedom, far into the tail (no 1 − CDF cancellation), 1e-8 beyond (lgamma(ν/2 + 1/2) −
/// lgamma(ν/2) loses digits as ν grows); ν above 1e7 uses the normal. Checked against scipy
/// (Tests/WhyslowTests/Fixtures/t_reference.json, scripts/reference_t.py).
/// Reference: Abramowitz & Stegun 26.7.1 and 26.5.8; Press et al., Numerical Recipes §6.4.
public struct StudentT: Sendable {
  public let degreesOfFreedom: Double

  public init(degreesOfFreedom: Double) { self.degreesOfFreedom = degreesOfFreedom }

  /// P(|T| ≥ |t|).
  public func twoSidedTail(_ t: Double) -> Double {
    let nu = degreesOfFreedom
    guard !t.isNaN, nu > 0 else { return .nan }
    if t.isInfinite { return 0 }
    if nu > 1e7 { return erfc(abs(t) / 2.squareRoot()) }
    return regularizedIncompleteBeta(x: nu / (nu + t * t), a: nu / 2, b: 0.5)
  }

  /// P(T ≥ t).
  public func upperTail(_ t: Double) -> Double {
    let tail = twoSidedTail(t) / 2
    return t >= 0 ? tail : 1 - tail
  }

  /// The q-quantile (0 < q < 1): the t with P(T ≤ t) = q, by bisection on the tail (60 steps
  /// on a bracket that doubles until it holds the answer: the quantile to 1e-15 relative).
  public func quantile(_ q: Double) -> Double {
    guard q > 0, q < 1, degreesOfFreedom > 0 else { return .nan }
    if q < 0.5 { return -quantile(1 - q) }
    if q == 0.5 { return 0 }
    let tail = 1 - q
    var (low, high) = (0.0, 1.0)
    while upperTail(high) > tail && high < 1e300 { (low, high) = (high, high * 2) }
    for _ in 0..<200 {
      let middle = (low + high) / 2
      if middle == low || middle == high { break }
      if upperTail(middle) > tail { low = middle } else { high = middle }
    }
    return (low + high) / 2
  }
}

/// I_x(a, b), the regularized incomplete beta function, by the continued fraction of
/// Numerical Recipes §6.4 (modified Lentz), with the symmetry I_x(a, b) = 1 − I_{1−x}(b, a)
/// where the fraction converges slowly.
func regularizedIncompleteBeta(x: Double, a: Double, b: Double) -> Double {
  guard x > 0 else { return 0 }
  guard x < 1 else { return 1 }
  if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(x: 1 - x, a: b, b: a) }
  let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
  let logPowers: Double = a * log(x) + b * log(1 - x)
  let logFront = logGammas + logPowers
  let tiny = 1e-300
  var c = 1.0
  var d = 1 - (a + b) * x / (a + 1)
  if abs(d) < tiny { d = tiny }
  d = 1 / d
  var fraction = d
  for m in 1...10_000 {
    let m = Double(m)
    let twoM: Double = 2 * m
    let even: Double = m * (b - m) * x / ((a + twoM - 1) * (a + twoM))
    d = 1 + even * d
    if abs(d) < tiny { d = tiny }
    c = 1 + even / c
    if abs(c) < tiny { c = tiny }
    d = 1 / d
    fraction *= d * c
    let odd: Double = -(a + m) * (a + b + m) * x / ((a + twoM) * (a + twoM + 1))
    d = 1 + odd * d
    if abs(d) < tiny { d = tiny }
    c = 1 + odd / c
    if abs(c) < tiny { c = tiny }
    d = 1 / d
    let step = d * c
    fraction *= step
    if abs(step - 1) < 1e-16 { break }
  }
  return exp(logFront) * fraction / a
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
