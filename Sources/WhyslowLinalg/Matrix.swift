import COpenBLAS

/// A dense matrix of Float64 stored column-major, the layout BLAS and LAPACK expect.
public struct Matrix: Sendable, Equatable {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let columns: Int
  /// Entries, column after column: entry (i, j) is `values[j * rows + i]`. Only the first
  /// `rows * columns` entries belong to the matrix (see `init(prefixOf:rows:columns:)`).
  public var values: [Double]

  /// A matrix from column-major `values`, which must hold `rows * columns` entries.
  public init(rows: Int, columns: Int, values: [Double]) {
    precondition(rows >= 0 && columns >= 0 && values.count == rows * columns)
    self.rows = rows
    self.columns = columns
    self.values = values
  }

  /// The matrix held in the first `rows * columns` entries of `storage`, sharing its buffer
  /// (no copy while neither is mutated): the leading columns of a larger column-major array.
  public init(prefixOf storage: [Double], rows: Int, columns: Int) {
    precondition(rows >= 0 && columns >= 0 && storage.count >= rows * columns)
    self.rows = rows
    self.columns = columns
    self.values = storage
  }

  /// A `rows` × `columns` matrix of zeros.
  public init(zeros rows: Int, _ columns: Int) {
    self.init(rows: rows, columns: columns, values: [Double](repeating: 0, count: rows * columns))
  }

  /// Entry at (`row`, `column`).
  public subscript(row: Int, column: Int) -> Double {
    get { values[column * rows + row] }
    set { values[column * rows + row] = newValue }
  }

  /// The entries of column `column`.
  public func column(_ column: Int) -> ArraySlice<Double> {
    values[(column * rows)..<((column + 1) * rows)]
  }

  /// Column means, x̄ = Xᵀ1 / n (BLAS `dgemv`).
  public func columnMeans() -> [Double] {
    guard rows > 0 else { return [Double](repeating: .nan, count: columns) }
    let ones = [Double](repeating: 1, count: rows)
    return transposeTimes(ones).map { $0 / Double(rows) }
  }

  /// The smallest and largest entry of each column.
  public func columnRanges() -> [(min: Double, max: Double)] {
    (0..<columns).map { column in
      var low = Double.infinity
      var high = -Double.infinity
      for value in values[(column * rows)..<((column + 1) * rows)] {
        low = Swift.min(low, value)
        high = Swift.max(high, value)
      }
      return (low, high)
    }
  }

  /// Xᵀv (BLAS `dgemv`); `v` has `rows` entries.
  public func transposeTimes(_ vector: [Double]) -> [Double] {
    precondition(vector.count == rows)
    var result = [Double](repeating: 0, count: columns)
    guard rows > 0, columns > 0 else { return result }
    cblas_dgemv(
      CblasColMajor, CblasTrans, blasInt(rows), blasInt(columns), 1, values, blasInt(rows),
      vector, 1, 0, &result, 1)
    return result
  }

  /// Xv (BLAS `dgemv`); `v` has `columns` entries.
  public func times(_ vector: [Double]) -> [Double] {
    precondition(vector.count == columns)
    var result = [Double](repeating: 0, count: rows)
    guard rows > 0, columns > 0 else { return result }
    cblas_dgemv(
      CblasColMajor, CblasNoTrans, blasInt(rows), blasInt(columns), 1, values, blasInt(rows),
      vector, 1, 0, &result, 1)
    return result
  }

  /// The Gram matrix XᵀX (BLAS `dsyrk` on the upper triangle, then mirrored).
  public func gram() -> Matrix {
    var result = Matrix(zeros: columns, columns)
    guard rows > 0, columns > 0 else { return result }
    let n = blasInt(columns)
    cblas_dsyrk(
      CblasColMajor, CblasUpper, CblasTrans, n, blasInt(rows), 1, values, blasInt(rows), 0,
      &result.values, n)
    result.mirrorUpperTriangle()
    return result
  }
}

extension Matrix {
  /// Copies the upper triangle onto the lower one (BLAS `dsyrk` fills only one).
  fileprivate mutating func mirrorUpperTriangle() {
    for column in 0..<columns {
      for row in (column + 1)..<columns { self[row, column] = self[column, row] }
    }
  }
}

/// Converts a dimension to the integer type of the BLAS interface.
@inline(__always)
func blasInt(_ value: Int) -> Int32 {
  Int32(value)
}

/// The number of threads OpenBLAS runs its kernels on.
public enum BLASThreads {
  /// Sets the thread count for the calls that follow. One thread also stops the workers.
  public static func set(_ count: Int) {
    openblas_set_num_threads(Int32(max(1, count)))
    if count <= 1 { stopIdleWorkers() }
  }

  /// Stops OpenBLAS's workers, which the next threaded call starts again: started when the
  /// library loads, they would otherwise spin on a core for about 0.1 s (after start-up and
  /// after each threaded call), taking it from the threads that parse and build features.
  public static func stopIdleWorkers() { _ = blas_thread_shutdown_() }

  /// The thread count in force.
  public static var current: Int { Int(openblas_get_num_threads()) }
}
