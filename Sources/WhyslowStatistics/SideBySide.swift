import WhyslowIngest
import WhyslowLinalg

/// Runs `first` and `second` side by side when BLAS runs on one thread (its products are then
/// small, and each core takes one part), else one after the other (threaded BLAS has every core).
func sideBySide<A, B>(_ first: @Sendable () throws -> A, _ second: @Sendable () throws -> B) throws -> (A, B) {
  if BLASThreads.current == 1 { return try concurrently(first, second) }
  return (try first(), try second())
}

/// `sideBySide` for two parts that cannot fail.
func sideBySide<A, B>(_ first: @Sendable () -> A, _ second: @Sendable () -> B) -> (A, B) {
  if BLASThreads.current == 1 { return concurrently(first, second) }
  return (first(), second())
}
