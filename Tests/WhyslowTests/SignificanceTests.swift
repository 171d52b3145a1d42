import Foundation
import Testing
import WhyslowEvaluation
import WhyslowFeatures
import WhyslowIngest
import WhyslowReports
import WhyslowStatistics

/// scipy reference written by scripts/reference_t.py.
struct TReference: Decodable {
  struct Tail: Decodable {
    let t: Double
    let df: Double
    let p: Double
  }
  struct Quantile: Decodable {
    let df: Double
    let q: Double
    let t: Double
  }
  struct Welch: Decodable {
    let fast: [Double]
    let slow: [Double]
    let difference: Double
    let p_value: Double
    let ci_low: Double
    let ci_high: Double
  }
  let tails: [Tail]
  let quantiles: [Quantile]
  let welch: Welch

  static func load() throws -> TReference {
    try JSONDecoder().decode(TReference.self, from: Data(contentsOf: fixture("t_reference.json")))
  }
}

/// Whether `actual` is within `relative` of `expected`, relatively (for tiny p-values too).
private func relativelyClose(_ actual: Double, _ expected: Double, _ relative: Double) -> Bool {
  expected == 0 ? actual == 0 : abs(actual - expected) <= relative * abs(expected)
}

/// One span-table CSV of traces: a root `gateway GET /x` (or `endpoint`) with one child
/// `db query` of the given duration (ms), the root 1 ms longer; trace ids `prefix` + index.
private func traces(_ childMillis: [Double], prefix: String, endpoint: String = "GET /x") -> String {
  var lines = ["trace_id,span_id,parent_id,service,operation,start_ns,duration_ns"]
  for (index, millis) in childMillis.enumerated() {
    let start = 1_700_000_000_000_000_000 + Int64(index) * 1_000_000_000
    let child = Int64((millis * 1e6).rounded())
    lines.append("\(prefix)\(index),r\(index),,gateway,\(endpoint),\(start),\(child + 1_000_000)")
    lines.append("\(prefix)\(index),c\(index),r\(index),db,query,\(start + 400_000),\(child)")
  }
  return lines.joined(separator: "\n") + "\n"
}

/// The analysis of fast and slow span-table CSV texts (each one text, or several files).
private func analyze(fast: [String], slow: [String], options: AnalysisOptions = AnalysisOptions()) throws
  -> LatencyAnalysis
{
  let read = { (texts: [String]) in
    try TraceReader.read(paths: texts.enumerated().map { try temporaryFile("part\($0).csv", $1) })
  }
  return try ContributionAnalysis.analyze(FeatureMatrix(fast: read(fast), slow: read(slow)), options: options)
}

private func suspect(_ analysis: LatencyAnalysis, _ service: String) throws -> Suspect {
  try #require(analysis.suspects.first { $0.key.service == service })
}

struct StudentTTests {
  /// Tolerance 1e-12 relative up to 1,000 degrees of freedom (the continued fraction has no
  /// cancellation, far into the tail), 1e-8 beyond (lgamma(ν/2 + 1/2) − lgamma(ν/2) loses
  /// digits as ν grows), and 1e-10 for quantiles (bisection to the last bits of the tail).
  @Test func tailsAndQuantilesMatchScipy() throws {
    let reference = try TReference.load()
    for tail in reference.tails {
      let p = StudentT(degreesOfFreedom: tail.df).twoSidedTail(tail.t)
      let tolerance = tail.df <= 1_000.5 ? 1e-12 : 1e-8
      #expect(relativelyClose(p, tail.p, tolerance), "t = \(tail.t), df = \(tail.df): \(p) against \(tail.p)")
    }
    for quantile in reference.quantiles {
      #expect(relativelyClose(StudentT(degreesOfFreedom: quantile.df).quantile(quantile.q), quantile.t, 1e-10))
    }
  }
}

struct SignificanceTests {
  /// The trace to open for a suspect is a typical one, at the median of its time among the slow
  /// traces, not the most extreme; the ranking is by growth, largest first.
  @Test func aSuspectsTraceToOpenIsTypicalAndTheRankingIsLargestFirst() throws {
    let analysis = try analyze(
      fast: [traces([1, 1.2, 0.9, 1.1, 1, 1.3, 0.8], prefix: "f")],
      slow: [traces([3, 50, 4, 5, 2, 6, 7], prefix: "s")])
    let db = try suspect(analysis, "db")
    #expect(db.exampleSlowTraceID == "s3")  // 5 ms, the median of 2, 3, 4, 5, 6, 7, 50
    let growth = analysis.suspects.map(\.contribution.value)
    #expect(zip(growth, growth.dropFirst()).allSatisfy { $0 >= $1 })
  }

  /// One endpoint, one suspect: its test is Welch's t test, and its interval Welch's, as scipy
  /// computes them (1e-9 relative: the same formulas summed in another order).
  @Test func aSuspectsTestAndIntervalAreWelchsAsScipyComputesThem() throws {
    let welch = try TReference.load().welch
    let analysis = try analyze(
      fast: [traces(welch.fast, prefix: "f")], slow: [traces(welch.slow, prefix: "s")],
      options: AnalysisOptions(minimumEffect: .millis(0)))
    let db = try suspect(analysis, "db").contribution
    #expect(relativelyClose(db.value, welch.difference, 1e-9))
    #expect(relativelyClose(db.pValue, welch.p_value, 1e-9))
    #expect(relativelyClose(db.low, welch.ci_low, 1e-9) && relativelyClose(db.high, welch.ci_high, 1e-9))
  }

  /// Swapping the batches flips every growth's sign and leaves every p-value bit for bit.
  @Test func swappingTheBatchesLeavesEveryPValueUnchanged() throws {
    let nezha = realDatasets.appendingPathComponent("nezha")
    let fast = try TraceReader.read(paths: [nezha.appendingPathComponent("construct_data/2023-01-30/trace/11_39_trace.csv").path])
    let slow = try TraceReader.read(paths: [nezha.appendingPathComponent("rca_data/2023-01-30/trace/11_51_trace.csv").path])
    let options = AnalysisOptions(minimumEffect: .millis(1))
    let forward = try ContributionAnalysis.analyze(FeatureMatrix(fast: fast, slow: slow), options: options)
    let backward = try ContributionAnalysis.analyze(FeatureMatrix(fast: slow, slow: fast), options: options)
    #expect(forward.suspects.count == backward.suspects.count)
    for one in forward.suspects {
      let other = try #require(backward.suspects.first { $0.key == one.key && $0.calls == one.calls })
      #expect(other.contribution.value == -one.contribution.value)
      #expect(other.contribution.pValue == one.contribution.pValue || (other.contribution.pValue.isNaN && one.contribution.pValue.isNaN))
    }
    #expect(backward.gap.pValue == forward.gap.pValue)
  }

  /// An endpoint with one or two traces in a batch is never compared on its own: a variance
  /// from so few traces is noise (here 0 but for rounding), and a key that only they call would
  /// look all but certain.
  @Test func tinyCellsAreNeverComparedOnTheirOwn() throws {
    let steady = (0..<20).map { 5 + Double($0 % 4) * 0.25 }
    for (fastRare, slowRare) in [([10.0], [50.0]), ([10, 10.001], [50, 50.002])] {
      let analysis = try analyze(
        fast: [traces(steady, prefix: "f"), traces(fastRare, prefix: "fr", endpoint: "GET /rare")],
        slow: [traces(steady, prefix: "s"), traces(slowRare, prefix: "sr", endpoint: "GET /rare")])
      #expect(!analysis.hasSignificantSuspect)
      let rare = fastRare.count + slowRare.count
      #expect(analysis.caveats.contains { $0.contains("\(rare) traces enter at endpoints only one batch has, or too rare") })
    }
  }

  /// Rare endpoints pooled into one stratum are standardized: B (100 ms) and C (20 ms) each
  /// take half the pool in both batches, though the fast batch has 2 B and 4 C traces and the
  /// slow one 4 B and 2 C. Hand computed: unweighted, the pool's means would be 46.7 and 73.3 ms
  /// (a 26.7 ms "slowdown" that is only the mix); standardized both are 60 ms and nothing moved.
  @Test func aPoolOfRareEndpointsComparesLikeWithLike() throws {
    let steady = (0..<10).map { 5 + Double($0 % 4) * 0.25 }
    let b = { (count: Int) in (0..<count).map { 100 + Double($0 % 2) * 0.5 } }
    let c = { (count: Int) in (0..<count).map { 20 + Double($0 % 2) * 0.5 } }
    let analysis = try analyze(
      fast: [
        traces(steady, prefix: "fa"), traces(b(2), prefix: "fb", endpoint: "GET /b"),
        traces(c(4), prefix: "fc", endpoint: "GET /c"),
      ],
      slow: [
        traces(steady, prefix: "sa"), traces(b(4), prefix: "sb", endpoint: "GET /b"),
        traces(c(2), prefix: "sc", endpoint: "GET /c"),
      ])
    #expect(analysis.caveats.contains { $0.hasPrefix("2 endpoints with fewer than 5 traces in a batch are compared together") })
    // The pool holds 12 of 32 traces: unweighted it would add 12/32 · 26.7 = 10 ms.
    #expect(abs(analysis.withinEndpointGapMillis) < 1e-9, "\(analysis.withinEndpointGapMillis)")
    #expect(analysis.gapMillis > 9 && !analysis.hasSignificantSuspect)
  }

  /// A slowdown inside endpoints that the endpoint mix hides: the heavy endpoint's share swings
  /// the whole gap's interval across 0, but within endpoints every request is 2 ms slower. The
  /// answer names the cause against the within-endpoint gap instead of "nothing to explain".
  @Test func aSlowdownTheMixHidesIsStillExplained() throws {
    let light = { (count: Int, extra: Double) in (0..<count).map { 5 + extra + Double($0 % 5) * 0.2 } }
    let heavy = { (count: Int, extra: Double) in (0..<count).map { 200 + extra + Double($0 % 7) * 0.5 } }
    let analysis = try analyze(
      fast: [traces(light(30, 0), prefix: "fl"), traces(heavy(12, 0), prefix: "fh", endpoint: "GET /report")],
      slow: [traces(light(30, 2), prefix: "sl"), traces(heavy(10, 2), prefix: "sh", endpoint: "GET /report")])
    #expect(!(analysis.gap.low > 0) && analysis.withinEndpointGap.low > 0, "\(analysis.gap) \(analysis.withinEndpointGap)")
    #expect(analysis.isSlowerOnlyWithinEndpoints && analysis.isSignificantlySlower)
    let top = try #require(analysis.suspects.first)
    #expect(top.key.service == "db" && top.isSignificant)
    #expect(abs(analysis.sharedGapMillis - analysis.withinEndpointGapMillis) < 1e-12)
    #expect(verdictSentence(analysis).contains("ms within-endpoint gap"))
    #expect(analysis.caveats.contains { $0.contains("but within endpoints it is") })
  }

  /// Timings that tie exactly (all 5 ms fast, all 6 ms slow) never claim a spread of 0: p is a
  /// number, never 0, and the interval has a width.
  @Test func tiedTimingsNeverGiveAPValueOfZero() throws {
    let analysis = try analyze(
      fast: [traces([Double](repeating: 5, count: 10), prefix: "f")],
      slow: [traces([Double](repeating: 6, count: 10), prefix: "s")], options: AnalysisOptions(minimumEffect: .millis(0)))
    let db = try suspect(analysis, "db").contribution
    #expect(db.pValue >= Estimate.smallestPValue && db.pValue < 1e-6)
    #expect(db.low < 1 && db.high > 1 && db.low > 0)
  }

  /// A "slow" batch that is faster never fails the gate, and says there is nothing to explain,
  /// with no shares, even where a span really did shrink or grow.
  @Test func aFasterSlowBatchNeverFailsTheGate() throws {
    let fast = (0..<30).map { 40 + Double($0 % 5) }
    let slow = (0..<30).map { 10 + Double($0 % 5) }
    let analysis = try analyze(fast: [traces(fast, prefix: "f")], slow: [traces(slow, prefix: "s")])
    #expect(analysis.gap.high < 0 && !analysis.isSignificantlySlower && !analysis.failsGate)
    #expect(verdictSentence(analysis).hasPrefix("the slow batch is faster (gap -30.0 ms"))
    #expect(!verdictSentence(analysis).contains("% of"))
  }

  /// A gap that is not significant: nothing to explain, no exit 3, and the minimum effect is
  /// not a share of noise.
  @Test func aTinyGapHasNothingToExplain() throws {
    let fast = (0..<25).map { 20 + Double(($0 * 7) % 11) }
    let slow = (0..<25).map { 20.2 + Double(($0 * 5) % 11) }
    let analysis = try analyze(fast: [traces(fast, prefix: "f")], slow: [traces(slow, prefix: "s")])
    #expect(!analysis.isSignificantlySlower && !analysis.failsGate)
    #expect(verdictSentence(analysis).hasPrefix("the slow batch is not significantly slower"))
    #expect(analysis.minimumEffectMillis == 0)
  }

  /// The minimum effect is tested, not filtered after the fact: a real 1 ms growth is starred
  /// with no minimum effect, not against 2 ms, and a starred suspect's interval lies above it.
  @Test func theMinimumEffectIsTested() throws {
    let fast = (0..<40).map { 10 + Double($0 % 4) * 0.1 }
    let slow = fast.map { $0 + 1 }
    for (effect, starred) in [(MinimumEffect.millis(0), true), (.millis(2), false), (.millis(0.5), true)] {
      let analysis = try analyze(
        fast: [traces(fast, prefix: "f")], slow: [traces(slow, prefix: "s")], options: AnalysisOptions(minimumEffect: effect))
      let db = try suspect(analysis, "db")
      #expect(db.isSignificant == starred, "\(effect)")
      #expect(!db.isSignificant || db.contribution.low > analysis.minimumEffectMillis)
      #expect(analysis.failsGate == starred)
    }
  }

  /// The same traces with their spans in another order, split over two files given in either
  /// order, give byte-identical JSON.
  @Test func spanAndFileOrderLeaveTheOutputByteIdentical() throws {
    let fast = (0..<24).map { 5 + Double(($0 * 7) % 13) * 0.137 }
    let slow = (0..<24).map { 7 + Double(($0 * 5) % 13) * 0.311 }
    let whole = try JSONExporter().render(analyze(fast: [traces(fast, prefix: "f")], slow: [traces(slow, prefix: "s")]))
    func reordered(_ text: String) -> [String] {
      let lines = text.split(separator: "\n").map(String.init)
      let body = Array(lines.dropFirst().reversed())  // children before their parents
      let half = body.count / 2 / 2 * 2  // whole traces (two lines each) in each file
      return [([lines[0]] + body[half...]).joined(separator: "\n") + "\n", ([lines[0]] + body[..<half]).joined(separator: "\n") + "\n"]
    }
    let shuffled = try JSONExporter().render(
      analyze(fast: reordered(traces(fast, prefix: "f")), slow: reordered(traces(slow, prefix: "s")).reversed()))
    #expect(shuffled == whole)
  }

  /// A/A splits of the real fault-free minutes: nothing differs, so at most 5% of splits may
  /// star anything (40 splits each here; `whyslow eval --null` runs 100).
  @Test func realAASplitsStarAlmostNothing() throws {
    let nezha = realDatasets.appendingPathComponent("nezha")
    for minute in ["construct_data/2023-01-30/trace/11_39_trace.csv", "construct_data/2022-08-23/trace/17_00_trace.csv"] {
      let outcome = try NullEvaluation.run(
        paths: [nezha.appendingPathComponent(minute).path], label: minute, splits: 40, options: AnalysisOptions())
      #expect(outcome.failures == 0)
      #expect(outcome.starred <= 2, "\(minute): \(outcome.starred) of 40 splits starred a suspect")
      #expect(outcome.gateFailures <= 2)
    }
  }

  /// The culprit's interval holds its true contribution (known in closed form) in about 95%
  /// of generated cases; a star comes with an interval above the minimum effect.
  @Test func intervalsCoverTheTrueContribution() throws {
    let outcome = try CoverageEvaluation.run(cases: 48, options: AnalysisOptions())
    #expect(outcome.failures == 0)
    #expect(outcome.coverage.rate >= 0.85, "\(outcome.covered) of 48")
    #expect(outcome.starred >= 30)
  }
}
