import Foundation
import Testing
import WhyslowFeatures
import WhyslowIngest
import WhyslowLinalg
import WhyslowEvaluation
import WhyslowStatistics

/// numpy reference written by scripts/reference_ridge.py.
struct RidgeReference: Decodable {
  struct Case: Decodable {
    let penalty: Double
    let intercept: Double
    let coefficients: [Double]
    let dropped: [Int]
  }
  let rows: Int
  let columns: Int
  let design_column_major: [Double]
  let response: [Double]
  let cases: [Case]
}

struct StatisticsTests {
  /// Tolerance 1e-8 relative: both sides solve the same 3×3 standardized system in double
  /// precision; its condition number (≈ 1e3, two nearly collinear columns) costs at most about
  /// 1e-13 of accuracy, and the rest is room for different summation orders.
  @Test func ridgeMatchesNumpy() throws {
    let reference = try JSONDecoder().decode(
      RidgeReference.self, from: Data(contentsOf: fixture("ridge_reference.json")))
    let design = Matrix(
      rows: reference.rows, columns: reference.columns, values: reference.design_column_major)
    #expect(reference.cases.count == 3)
    for expected in reference.cases {
      let fit = try RidgeRegression.fit(
        design: design, response: reference.response, penalty: expected.penalty)
      #expect(fit.droppedColumns == expected.dropped)
      #expect(close(fit.intercept, expected.intercept, relative: 1e-8))
      for (actual, wanted) in zip(fit.coefficients, expected.coefficients) {
        #expect(close(actual, wanted, relative: 1e-8), "λ = \(expected.penalty)")
      }
    }
  }

  @Test func anExactLinearModelIsRecoveredWithoutPenalty() throws {
    // y = 3 + 2·x1 − x2, exactly; hand-checkable.
    let x1: [Double] = [1, 2, 3, 4, 5]
    let x2: [Double] = [2, 1, 4, 3, 6]
    let y = zip(x1, x2).map { 3 + 2 * $0 - $1 }
    let fit = try RidgeRegression.fit(
      design: Matrix(rows: 5, columns: 2, values: x1 + x2), response: y, penalty: 0)
    #expect(close(fit.intercept, 3, relative: 1e-12))
    #expect(close(fit.coefficients[0], 2, relative: 1e-12))
    #expect(close(fit.coefficients[1], -1, relative: 1e-12))
  }

  @Test func tooFewTracesForInferenceAreRefusedWithTheNumberNeeded() throws {
    let fast = try TraceReader.read(paths: [packageRoot.appendingPathComponent("Datasets/demo/fast/traces-1.json").path])
    let slow = try TraceReader.read(paths: [packageRoot.appendingPathComponent("Datasets/demo/slow/traces-1.json").path])
    // 3 traces per batch leave no residual degrees of freedom to test anything with.
    let matrix = FeatureMatrix(fast: fast, slow: slow)
    let small = matrix.rows([0, 1, 2, matrix.traceCount - 3, matrix.traceCount - 2, matrix.traceCount - 1])
    #expect(throws: StatisticsError.tooFewTraces(fast: 3, slow: 3, needed: 7)) {
      try ContributionAnalysis.analyze(small)
    }
  }

  @Test func aControlWithNoCauseHasNothingSignificantAndSaysSo() throws {
    let generated = try Generator.generate(GeneratorOptions(scenario: .control, fastTraces: 150, slowTraces: 150, seed: 3))
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-control-\(UUID().uuidString)")
    try TraceWriter(format: .jaeger).write(generated.fast, to: folder.appendingPathComponent("fast"))
    try TraceWriter(format: .jaeger).write(generated.slow, to: folder.appendingPathComponent("slow"))
    let analysis = try ContributionAnalysis.analyze(
      FeatureMatrix(
        fast: try TraceReader.read(paths: [folder.appendingPathComponent("fast").path]),
        slow: try TraceReader.read(paths: [folder.appendingPathComponent("slow").path])))
    #expect(!analysis.hasSignificantSuspect)
    #expect(analysis.caveats.contains { $0.hasPrefix("nothing is significant") })
  }

  @Test func tooFewTracesIsAnErrorNotARanking() throws {
    let table = try TraceReader.read(paths: [try temporaryFile("hand.json", handTrace)])
    #expect(throws: StatisticsError.tooFewTraces(fast: 1, slow: 1, needed: 2)) {
      try ContributionAnalysis.analyze(FeatureMatrix(fast: table, slow: table))
    }
  }

  @Test func demoRanksTheDatabaseQueryFirstAndIgnoresTheAsynchronousEmail() throws {
    let demo = packageRoot.appendingPathComponent("Datasets/demo")
    let matrix = FeatureMatrix(
      fast: try TraceReader.read(paths: [demo.appendingPathComponent("fast").path]),
      slow: try TraceReader.read(paths: [demo.appendingPathComponent("slow").path]))
    let analysis = try ContributionAnalysis.analyze(matrix)
    let top = try #require(analysis.findings.first)
    #expect(top.column == FeatureColumn(key: SpanKey(service: "payment-db", operation: "SELECT payments"), kind: .selfTime))
    #expect(top.share > 0.8 && top.share < 1.2)
    #expect(top.qValue < 0.001 && top.ciLowMillis > 50 && top.ciHighMillis < 80)
    let email = try #require(analysis.findings.first { $0.column.key.service == "email-service" })
    #expect(email.slowMean - email.fastMean > 100)  // a bigger rise than the cause...
    #expect(abs(email.share) < 0.05 && !email.isSignificant(at: 0.05))  // ...that explains nothing
    // The critical path accounts for the within-endpoint gap exactly.
    let accounted = analysis.criticalPath.reduce(0) { $0 + $1.contributionMillis }
    #expect(abs(accounted - analysis.withinEndpointGapMillis) < 1e-9)
    #expect(analysis.suspects.first?.name == "payment-db SELECT payments")
    let contributions = analysis.findings.map(\.contributionMillis)
    #expect(contributions == contributions.sorted(by: >))
  }
}

struct BootstrapTests {
  /// The one-step bootstrap used above `exactBootstrapLimit` traces must give the intervals the
  /// exact refits give, to a small fraction of their width, on a batch large enough for it.
  @Test func linearizedBootstrapAgreesWithExactRefits() throws {
    let generated = try Generator.generate(GeneratorOptions(scenario: .slowSpan, fastTraces: 1500, slowTraces: 1500, seed: 8))
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whyslow-bootstrap-\(UUID().uuidString)")
    try TraceWriter(format: .jaeger).write(generated.fast, to: folder.appendingPathComponent("fast"))
    try TraceWriter(format: .jaeger).write(generated.slow, to: folder.appendingPathComponent("slow"))
    let matrix = FeatureMatrix(
      fast: try TraceReader.read(paths: [folder.appendingPathComponent("fast").path]),
      slow: try TraceReader.read(paths: [folder.appendingPathComponent("slow").path]))
    let exact = try ContributionAnalysis.analyze(matrix, options: AnalysisOptions(bootstrapReplicates: 100))
    let linear = try ContributionAnalysis.analyze(
      matrix, options: AnalysisOptions(bootstrapReplicates: 100, exactBootstrapLimit: 0))
    let top = try #require(exact.findings.first)
    let same = try #require(linear.findings.first { $0.column == top.column })
    let width = top.ciHighMillis - top.ciLowMillis
    #expect(width > 0)
    #expect(abs(same.ciLowMillis - top.ciLowMillis) < 0.1 * width)
    #expect(abs(same.ciHighMillis - top.ciHighMillis) < 0.1 * width)
    // Point estimates and tests do not depend on the bootstrap.
    #expect(same.contributionMillis == top.contributionMillis && same.qValue == top.qValue)
  }
}

struct RealCaseTests {
  /// Nezha TT-2023-01-30-1151: network delay injected on ts-contacts-service; its callers'
  /// client spans grow while its own server spans do not. The service-level answer must name it.
  @Test func networkDelayOnARealTrainTicketCaseNamesTheCallee() throws {
    let nezha = realDatasets.appendingPathComponent("nezha")
    let fast = try TraceReader.read(paths: [nezha.appendingPathComponent("construct_data/2023-01-30/trace/11_39_trace.csv").path])
    let slow = try TraceReader.read(
      paths: ["11_51", "11_52", "11_53"].map { nezha.appendingPathComponent("rca_data/2023-01-30/trace/\($0)_trace.csv").path })
    let analysis = try ContributionAnalysis.analyze(FeatureMatrix(fast: fast, slow: slow))
    #expect(analysis.services.first?.service == "ts-contacts-service")
    #expect(analysis.suspects.first?.name == "network to ts-contacts-service")
    let finding = try #require(analysis.findings.first)
    #expect(finding.coefficientStandardError > 0 && finding.coefficient.isFinite)
  }
}
