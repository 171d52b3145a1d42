import Foundation
import Testing
import WhyslowFeatures
import WhyslowIngest
import WhyslowLinalg
import WhyslowEvaluation
import WhyslowStatistics

struct StatisticsTests {
  @Test func everyResponseOfAnExactLinearModelIsRecovered() throws {
    // y₁ = 3 + 2·x1 − x2 and y₂ = −1 + 0.5·x1 + 4·x2, exactly; hand-checkable. Exact fits leave
    // no residual, so every HC3 standard error is 0.
    let x1: [Double] = [1, 2, 3, 4, 5, 7]
    let x2: [Double] = [2, 1, 4, 3, 6, 5]
    let y1 = zip(x1, x2).map { 3 + 2 * $0 - $1 }
    let y2 = zip(x1, x2).map { -1 + 0.5 * $0 + 4 * $1 }
    let fit = try LeastSquares.fit(
      design: Matrix(rows: 6, columns: 2, values: x1 + x2), responses: Matrix(rows: 6, columns: 2, values: y1 + y2))
    for (row, expected) in [3.0, 2, -1].enumerated() { #expect(close(fit.coefficients[row, 0], expected, relative: 1e-12)) }
    for (row, expected) in [-1.0, 0.5, 4].enumerated() { #expect(close(fit.coefficients[row, 1], expected, relative: 1e-12)) }
    #expect(fit.standardErrors.values.allSatisfy { $0 < 1e-9 })
  }

  @Test func absorbingGroupIndicatorsGivesTheFitOfTheFullDesign() throws {
    // 240 rows in 6 groups of unequal sizes (group 5 has 3 rows), 3 features correlated with
    // the groups, 2 responses with group effects and skewed noise. The full design (features,
    // then an indicator per group but the first) is the fit the statsmodels fixture checks;
    // the absorbed fit must give its numbers with and without the ridge.
    var random = SeededRandom(seed: 11)
    let n = 240
    let groups = (0..<n).map { $0 < 3 ? 5 : Int(random.next() % 5) }
    var features: [Double] = []
    for column in 0..<3 {
      for group in groups {
        let skew = column == 2 ? random.lognormal(median: 1, sigma: 1) : 0
        features.append(Double(group) * Double(column + 1) * 0.3 + random.normal() + skew)
      }
    }
    var responses: [Double] = []
    for response in 0..<2 {
      for row in 0..<n {
        let groupEffect = Double(groups[row] * (response + 1))
        let featureEffect: Double = 2 * features[row] - Double(response) * features[n + row] + features[2 * n + row]
        responses.append(groupEffect + featureEffect + random.lognormal(median: 1, sigma: 0.8))
      }
    }
    let indicators = (1..<6).flatMap { group in groups.map { $0 == group ? 1.0 : 0 } }
    for penalty in [0.0, 0.5] {
      let full = try LeastSquares.fit(
        design: Matrix(rows: n, columns: 8, values: features + indicators), responses: Matrix(rows: n, columns: 2, values: responses),
        penalty: penalty)
      let absorbed = try LeastSquares.fit(
        features: Matrix(rows: n, columns: 3, values: features), groups: groups, groupCount: 6,
        responses: Matrix(rows: n, columns: 2, values: responses), penalty: penalty)
      for response in 0..<2 {
        for row in 0...3 {
          #expect(close(absorbed.coefficients[row, response], full.coefficients[row, response], relative: 1e-9))
          #expect(close(absorbed.standardErrors[row, response], full.standardErrors[row, response], relative: 1e-9))
        }
      }
      for row in 0..<n {
        #expect(close(absorbed.leverages[row], full.leverages[row], relative: 1e-9))
        #expect(close(absorbed.residuals[row, 1], full.residuals[row, 1], relative: 1e-9))
        for column in 0...3 {
          #expect(close(absorbed.designTimesInverse[row, column], full.designTimesInverse[row, column], relative: 1e-9))
        }
      }
    }
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
    let analysis = try analyzeGenerated(GeneratorOptions(scenario: .control, fastTraces: 150, slowTraces: 150, seed: 3))
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
    let database = SpanKey(service: "payment-db", operation: "SELECT payments")
    let top = try #require(analysis.suspects.first)
    #expect(top.key == database && top.isSignificant && top.share > 0.8 && top.share < 1.2)
    #expect(top.contribution.qValue < 0.001 && top.contribution.low > 50 && top.contribution.high < 80)
    // Explained by its own self-time; the findings and the remainder add up exactly.
    let reason = try #require(top.explanation.first)
    #expect(reason.column == FeatureColumn(key: database, kind: .selfTime) && reason.isSignificant(at: 0.05))
    let parts = top.explanation.reduce(0) { $0 + $1.contribution.value } + top.remainderMillis
    #expect(abs(parts - top.contribution.value) < 1e-9)
    #expect(abs(top.remainderMillis) < 0.05 * top.contribution.value)
    // The e-mail's self-time rose more than the cause's...
    let emailSelf = try #require(matrix.columns.firstIndex { $0.key.service == "email-service" && $0.kind == .selfTime })
    let rows = matrix.traceCount / 2
    let rise = matrix.column(emailSelf).suffix(rows).reduce(0, +) / Double(rows)
      - matrix.column(emailSelf).prefix(rows).reduce(0, +) / Double(rows)
    #expect(rise > 100)
    // ...but it runs after the response: it explains nothing.
    // (never on the critical path, its critical-time column never varies and is left out).
    #expect(analysis.suspects.allSatisfy { $0.key.service != "email-service" || (abs($0.share) < 0.05 && !$0.isSignificant) })
    // The critical path accounts for the within-endpoint gap exactly, and for the slow
    // batch's latency variance exactly.
    let accounted = analysis.suspects.reduce(0) { $0 + $1.contribution.value }
    #expect(abs(accounted - analysis.withinEndpointGapMillis) < 1e-9)
    #expect(abs(analysis.suspects.reduce(0) { $0 + $1.varianceShare } - 1) < 1e-9)
    // One ranking: services in the order their suspects first appear.
    var seen: [String] = []
    for suspect in analysis.suspects where suspect.contribution.value > 0 && !seen.contains(suspect.service) {
      seen.append(suspect.service)
    }
    #expect(analysis.services.map(\.service) == seen)
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
    let matrix = FeatureMatrix(fast: fast, slow: slow)
    // Every trace enters at the gateway's catch-all route: endpoints come from the first
    // server span below it.
    #expect(matrix.endpointNote.hasPrefix("endpoints: first server span below the root"))
    #expect(Set(matrix.entryPoints).count > 5)
    let analysis = try ContributionAnalysis.analyze(matrix)
    #expect(analysis.services.first?.service == "ts-contacts-service")
    let top = try #require(analysis.suspects.first)
    // 10 slow traces of the endpoint that calls it, their delays varying widely: the growth's
    // interval lies above 0 but it is not starred at a false discovery rate of 5%.
    #expect(top.name.hasPrefix("network to ts-contacts-service from ") && top.contribution.low > 0)
    // Its growth is its network gap, and the gateway's handler, which spans every request
    // off the critical path, explains nothing anywhere.
    let reason = try #require(top.explanation.first)
    #expect(reason.column.kind == .networkGap && reason.column.peerService == "ts-contacts-service")
    #expect(reason.coefficientStandardError > 0 && reason.coefficient.isFinite)
    #expect(!analysis.suspects.prefix(5).contains { $0.key.operation == "FilteringWebHandler.handle" })
  }

  /// Nezha OB-2022-08-23-1337: a network delay on OnlineBoutique's currencyservice, against the
  /// fault-free minute of 17:00 (the only one the dataset holds for that day, 3 h 20 min later).
  /// The first two suspects are the frontend's calls to it, each one edge to currencyservice,
  /// both starred; the by-service line names it first.
  @Test func networkDelayOnARealOnlineBoutiqueCaseNamesTheCallee() throws {
    let nezha = realDatasets.appendingPathComponent("nezha")
    let fast = try TraceReader.read(paths: [nezha.appendingPathComponent("construct_data/2022-08-23/trace/17_00_trace.csv").path])
    let slow = try TraceReader.read(
      paths: ["13_37", "13_38", "13_39"].map { nezha.appendingPathComponent("rca_data/2022-08-23/trace/\($0)_trace.csv").path })
    let analysis = try ContributionAnalysis.analyze(FeatureMatrix(fast: fast, slow: slow))
    #expect(analysis.services.first?.service == "currencyservice")
    for suspect in analysis.suspects.prefix(2) {
      #expect(suspect.callee == "currencyservice" && suspect.isSignificant, "\(suspect.name)")
      #expect(suspect.explanation.filter { $0.column.kind == .networkGap }.allSatisfy { $0.column.peerService == "currencyservice" })
    }
  }
}
