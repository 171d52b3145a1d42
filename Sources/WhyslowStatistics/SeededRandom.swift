import Foundation

/// A deterministic random source (SplitMix64): the same seed gives the same traces on every
/// machine, which `Random.system` does not promise.
public struct SeededRandom: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform double in [0, 1).
  public mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

  /// A uniform double in [0, 1) that depends on `key` alone (one SplitMix64 step from it): for
  /// draws keyed by what they are about rather than by the order they are made in.
  public static func uniform(keyedBy key: UInt64) -> Double {
    var random = SeededRandom(seed: key &- 0x9E37_79B9_7F4A_7C15)  // its state is then `key`
    return random.uniform()
  }

  /// A standard normal draw (Box–Muller).
  public mutating func normal() -> Double {
    let u = max(uniform(), 1e-300)
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * uniform())
  }

  /// A lognormal draw with the given median and log-scale spread σ.
  public mutating func lognormal(median: Double, sigma: Double) -> Double {
    median * exp(sigma * normal())
  }

  /// True with probability `p`.
  public mutating func chance(_ p: Double) -> Bool { uniform() < p }
}
