import CLAPACKE
import COpenBLAS

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
}

/// The Cholesky factor of a symmetric positive definite matrix (upper triangle, LAPACK
/// `dpotrf`), kept to solve many right-hand sides (`dpotrs`) and to whiten designs (`dtrsm`).
public struct CholeskyFactor: Sendable {
  /// The factor U with A = UᵀU in the upper triangle (the strict lower triangle is zero).
  public let upper: Matrix

  /// Factors `matrix`; throws `LinalgError.notPositiveDefinite` when it is not.
  public init(_ matrix: Matrix) throws {
    precondition(matrix.rows == matrix.columns)
    var factor = matrix.values
    let n = Int32(matrix.rows)
    if n > 0 {
      try lapack("dpotrf", failure: LinalgError.notPositiveDefinite) {
        LAPACKE_dpotrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "U")), n, &factor, n)
      }
    }
    var upper = Matrix(rows: matrix.rows, columns: matrix.columns, values: factor)
    for column in 0..<matrix.columns {
      for row in (column + 1)..<max(column + 1, matrix.rows) { upper[row, column] = 0 }
    }
    self.upper = upper
  }

  /// Solves A X = B for the columns of B (LAPACK `dpotrs`).
  public func solve(_ rightHandSides: Matrix) throws -> Matrix {
    precondition(rightHandSides.rows == upper.rows)
    var solution = rightHandSides.values
    let n = Int32(upper.rows)
    guard n > 0, rightHandSides.columns > 0 else { return rightHandSides }
    try lapack("dpotrs", failure: LinalgError.noConvergence) {
      LAPACKE_dpotrs(
        LAPACK_COL_MAJOR, Int8(UInt8(ascii: "U")), n, Int32(rightHandSides.columns), upper.values,
        n, &solution, n)
    }
    return Matrix(rows: rightHandSides.rows, columns: rightHandSides.columns, values: solution)
  }

  /// Solves A x = b.
  public func solve(_ rightHandSide: [Double]) throws -> [Double] {
    try solve(Matrix(rows: rightHandSide.count, columns: 1, values: rightHandSide)).values
  }

  /// X A⁻¹ = X U⁻¹ U⁻ᵀ (two BLAS `dtrsm`): row i is (A⁻¹xᵢ)ᵀ, the influence of row i on the
  /// coefficients of a fit with normal matrix A.
  public func timesInverse(_ design: Matrix) -> Matrix { timesInverse(whitened: whiten(design)) }

  /// X A⁻¹ from X U⁻¹ (`whiten`'s result): one `dtrsm`, for a caller that has both.
  public func timesInverse(whitened: Matrix) -> Matrix {
    var result = whitened
    guard whitened.rows > 0, whitened.columns > 0 else { return result }
    cblas_dtrsm(
      CblasColMajor, CblasRight, CblasUpper, CblasTrans, CblasNonUnit, Int32(whitened.rows),
      Int32(whitened.columns), 1, upper.values, Int32(upper.rows), &result.values, Int32(whitened.rows))
    return result
  }

  /// X U⁻¹ (BLAS `dtrsm`): rows of the result have squared norms xᵢᵀA⁻¹xᵢ, the leverages.
  public func whiten(_ design: Matrix) -> Matrix {
    precondition(design.columns == upper.rows)
    var result = design
    guard design.rows > 0, design.columns > 0 else { return result }
    cblas_dtrsm(
      CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, Int32(design.rows),
      Int32(design.columns), 1, upper.values, Int32(upper.rows), &result.values, Int32(design.rows))
    return result
  }
}

/// Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix (LAPACK `dsyevd`).
public struct SymmetricEigen: Sendable {
  public let values: [Double]
  public let vectors: Matrix

  public init(_ matrix: Matrix) throws {
    precondition(matrix.rows == matrix.columns)
    var vectors = matrix.values
    var values = [Double](repeating: 0, count: matrix.rows)
    let n = Int32(matrix.rows)
    if n > 0 {
      try lapack("dsyevd", failure: LinalgError.noConvergence) {
        LAPACKE_dsyevd(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")), n, &vectors, n, &values)
      }
    }
    self.values = values
    self.vectors = Matrix(rows: matrix.rows, columns: matrix.columns, values: vectors)
  }
}

extension Matrix {
  /// AB (BLAS `dgemm`).
  public func times(_ other: Matrix) -> Matrix { product(other, transposed: false) }

  /// AᵀB (BLAS `dgemm`).
  public func transposeTimes(_ other: Matrix) -> Matrix { product(other, transposed: true) }

  /// op(A)B with op(A) = A or Aᵀ: one `dgemm`.
  private func product(_ other: Matrix, transposed: Bool) -> Matrix {
    let (outer, inner) = transposed ? (columns, rows) : (rows, columns)
    precondition(inner == other.rows)
    var result = Matrix(zeros: outer, other.columns)
    guard outer > 0, inner > 0, other.columns > 0 else { return result }
    cblas_dgemm(
      CblasColMajor, transposed ? CblasTrans : CblasNoTrans, CblasNoTrans, Int32(outer), Int32(other.columns),
      Int32(inner), 1, values, Int32(rows), other.values, Int32(other.rows), 0, &result.values, Int32(outer))
    return result
  }
}

extension Matrix {
  /// A[rows]ᵀ B[rows]: the product over a block of rows both share (BLAS `dgemm` on sub-matrix
  /// views, no copies).
  public func transposeTimes(_ other: Matrix, rows block: Range<Int>) -> Matrix {
    precondition(rows == other.rows && block.lowerBound >= 0 && block.upperBound <= rows)
    var result = Matrix(zeros: columns, other.columns)
    guard !block.isEmpty, columns > 0, other.columns > 0 else { return result }
    values.withUnsafeBufferPointer { a in
      other.values.withUnsafeBufferPointer { b in
        guard let a = a.baseAddress, let b = b.baseAddress else { return }
        cblas_dgemm(
          CblasColMajor, CblasTrans, CblasNoTrans, Int32(columns), Int32(other.columns),
          Int32(block.count), 1, a + block.lowerBound, Int32(rows), b + block.lowerBound,
          Int32(other.rows), 0, &result.values, Int32(columns))
      }
    }
    return result
  }
}
