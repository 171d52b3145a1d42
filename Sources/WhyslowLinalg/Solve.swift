import CLAPACKE

/// A LAPACK routine reported failure.
public enum LinalgError: Error, Equatable, CustomStringConvertible {
  /// An argument was invalid (`info` < 0): a bug in the caller, reported rather than trapped.
  case invalidArgument(routine: String, position: Int)
  /// The matrix is not positive definite: the leading minor of this order is not positive.
  case notPositiveDefinite(routine: String, order: Int)
  /// An iterative routine (an SVD) did not converge.
  case noConvergence(routine: String, info: Int)

  public var description: String {
    switch self {
    case .invalidArgument(let routine, let position):
      return "\(routine): argument \(position) is invalid"
    case .notPositiveDefinite(let routine, let order):
      return "\(routine): matrix is not positive definite (leading minor \(order))"
    case .noConvergence(let routine, let info):
      return "\(routine): did not converge (\(info) off-diagonal elements)"
    }
  }
}

/// Runs one LAPACKE call and turns its `info` code into a `LinalgError`: negative codes name a
/// bad argument; `failure` says what a positive code means for this routine.
func lapack(
  _ routine: String, failure: (String, Int) -> LinalgError, _ call: () -> Int32
) throws {
  let info = Int(call())
  if info < 0 { throw LinalgError.invalidArgument(routine: routine, position: -info) }
  if info > 0 { throw failure(routine, info) }
}

extension Matrix {
  /// Solves A x = b for a symmetric positive definite A by Cholesky (LAPACK `dposv`).
  /// Throws `LinalgError.notPositiveDefinite` when A is singular or indefinite.
  public func solvePositiveDefinite(_ rightHandSide: [Double]) throws -> [Double] {
    precondition(rows == columns && rightHandSide.count == rows)
    guard rows > 0 else { return [] }
    var factor = values
    var solution = rightHandSide
    let n = Int32(rows)
    try lapack("dposv", failure: LinalgError.notPositiveDefinite) {
      LAPACKE_dposv(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "U")), n, 1, &factor, n, &solution, n)
    }
    return solution
  }

  /// Minimum-norm least-squares solution of min ‖A x − b‖ by SVD (LAPACK `dgelsd`), with the
  /// numerical rank: singular values below `relativeCutoff` × the largest count as zero.
  public func leastSquares(_ rightHandSide: [Double], relativeCutoff: Double = 1e-12) throws
    -> (solution: [Double], rank: Int)
  {
    precondition(rightHandSide.count == rows)
    guard rows > 0, columns > 0 else { return ([Double](repeating: 0, count: columns), 0) }
    let leading = Swift.max(rows, columns)
    var matrix = values
    var solutionSpace = rightHandSide + [Double](repeating: 0, count: leading - rows)
    var singularValues = [Double](repeating: 0, count: Swift.min(rows, columns))
    var rank: Int32 = 0
    try lapack("dgelsd", failure: LinalgError.noConvergence) {
      LAPACKE_dgelsd(
        LAPACK_COL_MAJOR, Int32(rows), Int32(columns), 1, &matrix, Int32(rows),
        &solutionSpace, Int32(leading), &singularValues, relativeCutoff, &rank)
    }
    return (Array(solutionSpace.prefix(columns)), Int(rank))
  }
}
