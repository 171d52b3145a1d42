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

  @Test func shiftAndScaleCentersEachColumn() {
    var centered = design
    centered.shiftAndScaleColumns(shift: [2, 5], scale: [1, 2])
    #expect(centered.values == [-1, 0, 1, -0.5, 0, 0.5])
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

  @Test func leastSquaresFindsTheRankAndTheMinimumNormSolution() throws {
    // Columns [1,2,3] and [2,4,6] are collinear: rank 1. b = [1,2,3] is the first column, so
    // the minimum-norm solution is (1, 2)/5.
    let collinear = Matrix(rows: 3, columns: 2, values: [1, 2, 3, 2, 4, 6])
    let fit = try collinear.leastSquares([1, 2, 3])
    #expect(fit.rank == 1)
    #expect(abs(fit.solution[0] - 0.2) < 1e-12 && abs(fit.solution[1] - 0.4) < 1e-12)
  }
}
