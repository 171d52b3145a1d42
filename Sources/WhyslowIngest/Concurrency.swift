import Dispatch
import Foundation

/// Fixed slots written from concurrent iterations, each slot by exactly one iteration.
package final class ConcurrentSlots<Value>: @unchecked Sendable {
  private var slots: [Value?]
  private let lock = NSLock()

  package init(count: Int) { slots = Array(repeating: nil, count: count) }

  package func set(_ index: Int, _ value: Value?) {
    lock.lock()
    slots[index] = value
    lock.unlock()
  }

  /// The slots; nil where nothing was set.
  package var values: [Value?] { slots }
}

/// Runs `first` and `second` at the same time, on two cores when there are two, and returns
/// both results; rethrows the first one's error, else the second's.
package func concurrently<A, B>(
  _ first: @Sendable () throws -> A, _ second: @Sendable () throws -> B
) throws -> (A, B) {
  let firsts = ConcurrentSlots<Result<A, any Error>>(count: 1)
  let seconds = ConcurrentSlots<Result<B, any Error>>(count: 1)
  DispatchQueue.concurrentPerform(iterations: 2) { part in
    if part == 0 {
      firsts.set(0, Result { try first() })
    } else {
      seconds.set(0, Result { try second() })
    }
  }
  guard let a = firsts.values[0], let b = seconds.values[0] else { preconditionFailure("both parts ran") }
  return (try a.get(), try b.get())
}

/// `concurrently` for two parts that cannot fail.
package func concurrently<A, B>(_ first: @Sendable () -> A, _ second: @Sendable () -> B) -> (A, B) {
  try! concurrently({ () throws -> A in first() }, { () throws -> B in second() })  // neither part throws
}
