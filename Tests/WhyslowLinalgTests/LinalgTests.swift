import Testing
import WhyslowLinalg

/// Hand-derived values; exact in binary floating point or within 1e-12.
struct LinalgTests {
  let design = Matrix(rows: 3, columns: 2, values: [1, 2, 3, 4, 5, 6])

  @Test func gramMatrixIsXTransposeX() {
    // [1 4; 2 5; 3 6]ᵀ[1 4; 2 5; 3 6] = [14 32; 32 77]
    #expect(design.gram() == Matrix(rows: 2, columns: 2, values: [14, 32, 32, 77]))
  }

  @Test func matrixVectorProductsAndColumnMeans() {
    #expect(design.transposeTimes([1, 1, 1]) == [6, 15])
    #expect(design.times([1, -1]) == [-3, -3, -3])
    #expect(design.columnMeans() == [2, 5])
  }

  @Test func choleskySolvesAPositiveDefiniteSystem() throws {
    // [4 2; 2 3] x = [2, 1]  =>  x = [0.5, 0]
    let solution = try Matrix(rows: 2, columns: 2, values: [4, 2, 2, 3])
      .solvePositiveDefinite([2, 1])
    #expect(abs(solution[0] - 0.5) < 1e-12 && abs(solution[1]) < 1e-12)
  }

  @Test func choleskyReportsASingularMatrix() {
    #expect(throws: LinalgError.notPositiveDefinite(routine: "dposv", order: 2)) {
      try Matrix(rows: 2, columns: 2, values: [1, 2, 2, 4]).solvePositiveDefinite([1, 1])
    }
  }

  @Test func choleskyFactorSolvesWhitensAndEigenDecomposes() throws {
    let a = Matrix(rows: 2, columns: 2, values: [4, 2, 2, 3])
    let factor = try CholeskyFactor(a)
    // U = [2 1; 0 √2]
    #expect(factor.upper == Matrix(rows: 2, columns: 2, values: [2, 0, 1, 2.squareRoot()]))
    let solution = try factor.solve([2, 1])
    #expect(abs(solution[0] - 0.5) < 1e-12 && abs(solution[1]) < 1e-12)
    // Rows of X U⁻¹ have squared norms xᵀA⁻¹x: for x = (1, 0), A⁻¹₁₁ = 3/8.
    let whitened = factor.whiten(Matrix(rows: 1, columns: 2, values: [1, 0]))
    #expect(abs(whitened.values.reduce(0) { $0 + $1 * $1 } - 0.375) < 1e-12)
    // Eigenvalues of [4 2; 2 3]: (7 ± √17)/2.
    let eigen = try SymmetricEigen(a)
    #expect(abs(eigen.values[0] - (7 - 17.squareRoot()) / 2) < 1e-12)
    #expect(abs(eigen.values[1] - (7 + 17.squareRoot()) / 2) < 1e-12)
  }

  @Test func productsAndRangesAreExact() {
    #expect(design.transposeTimes(design) == design.gram())
    #expect(design.columnRanges().map { [$0.min, $0.max] } == [[1, 3], [4, 6]])
  }
}
