import Foundation
import Testing
import WhyslowEvaluation
import WhyslowFeatures
import WhyslowStatistics

struct EvaluationTests {
  @Test func theSameSeedGeneratesTheSameTraces() throws {
    let options = GeneratorOptions(scenario: .network, fastTraces: 20, slowTraces: 20, seed: 5)
    let first = try Generator.generate(options)
    let second = try Generator.generate(options)
    #expect(first.slow.map(\.spanID) == second.slow.map(\.spanID))
    #expect(first.slow.map(\.durationNanos) == second.slow.map(\.durationNanos))
    let other = try Generator.generate(GeneratorOptions(scenario: .network, fastTraces: 20, slowTraces: 20, seed: 6))
    #expect(other.slow.map(\.durationNanos) != first.slow.map(\.durationNanos))
  }

  @Test func truthNamesTheInjectedCulprit() throws {
    let truth = try Generator.generate(GeneratorOptions(scenario: .twoCauses, fastTraces: 10, slowTraces: 10)).truth
    #expect(truth.causes.map { $0.map(\.service) } == [["orders-db"], ["pricing"]])
    #expect(truth.realisedGapMillis > 0)
    let network = try Generator.generate(GeneratorOptions(scenario: .network, fastTraces: 10, slowTraces: 10)).truth
    #expect(network.causes.first?.first == Culprit(service: "pricing", operation: "", features: ["network_gap"]))
  }

  @Test func aScenarioTheTopologyCannotHostIsRefused() {
    #expect(throws: GeneratorError.unsupported(scenario: .redHerring, topology: .ml)) {
      try Generator.generate(GeneratorOptions(scenario: .redHerring, topology: .ml))
    }
  }

  /// A small suite in every format: whyslow names each cause first and raises no false alarm.
  @Test func aSmallSuiteFindsEveryCauseAndNoFalseAlarm() throws {
    let manifest = SuiteManifest(
      version: 1,
      cases: [
        SuiteCase(scenario: .slowSpan, topology: "shop", seed: 11, fast: 120, slow: 120, format: "jaeger", effect_ms: 30, noise: 0.25),
        SuiteCase(scenario: .network, topology: "shop", seed: 12, fast: 120, slow: 120, format: "otlp", effect_ms: 30, noise: 0.25),
        SuiteCase(scenario: .nPlusOne, topology: "ml", seed: 13, fast: 120, slow: 120, format: "zipkin", effect_ms: 30, noise: 0.25),
        SuiteCase(scenario: .redHerring, topology: "shop", seed: 14, fast: 120, slow: 120, format: "csv", effect_ms: 30, noise: 0.25),
        SuiteCase(scenario: .control, topology: "shop", seed: 15, fast: 120, slow: 120, format: "csv", effect_ms: 30, noise: 0.25),
      ])
    let outcomes = try Evaluation.run(manifest, options: AnalysisOptions())
    #expect(outcomes.allSatisfy { $0.failure == nil })
    for outcome in outcomes where outcome.hasCause {
      #expect(outcome.whyslow.rank == 1, "\(outcome.label)")
    }
    #expect(outcomes.filter { !$0.hasCause }.allSatisfy { !$0.significant })
    let table = EvaluationReport(title: "small", outcomes: outcomes).render(markdown: true)
    #expect(table.contains("| all with a cause | 4 | 100% | 100% |"))
  }

  /// Traces with 15% of their spans lost in both batches (the random service mesh, where a lost
  /// span orphans a subtree): the cause is still first and starred, controls stay quiet.
  @Test func incompleteTracesStillNameTheCause() throws {
    let manifest = SuiteManifest(
      version: 1,
      cases: [
        SuiteCase(scenario: .slowSpan, topology: "random", seed: 2, fast: 200, slow: 200, format: "jaeger", effect_ms: 30, noise: 0.25, missing_spans: 0.15),
        SuiteCase(scenario: .slowSpan, topology: "random", seed: 3, fast: 200, slow: 200, format: "otlp", effect_ms: 30, noise: 0.25, missing_spans: 0.15),
        SuiteCase(scenario: .control, topology: "random", seed: 4, fast: 200, slow: 200, format: "jaeger", effect_ms: 30, noise: 0.25, missing_spans: 0.15),
      ])
    let outcomes = try Evaluation.run(manifest, options: AnalysisOptions())
    for outcome in outcomes where outcome.hasCause {
      #expect(outcome.whyslow.rank == 1 && outcome.culpritStarred == true, "\(outcome.label)")
    }
    #expect(outcomes.filter { !$0.hasCause }.allSatisfy { !$0.significant })
  }

  /// Many endpoints, mixed: on random meshes of 8-16 routes (rare ones pooled) whose slow batch
  /// holds far more of the heavy report, the cause is first and starred, a shift of the mix
  /// alone stars nothing, and a slowdown the mix's noise hides in the whole gap is still named.
  @Test func manyMixedEndpointsStillNameTheCause() throws {
    let mesh = { (scenario: Scenario, seed: UInt64) in
      SuiteCase(scenario: scenario, topology: "mesh", seed: seed, fast: 200, slow: 200, format: "jaeger", effect_ms: 30, noise: 0.25)
    }
    let manifest = SuiteManifest(
      version: 1,
      cases: [
        mesh(.endpointMixCause, 11), mesh(.endpointMixCause, 12), mesh(.endpointMix, 13), mesh(.endpointMix, 14),
        mesh(.network, 15),
      ])
    let outcomes = try Evaluation.run(manifest, options: AnalysisOptions())
    #expect(outcomes.count == 5)
    for outcome in outcomes where outcome.hasCause {
      #expect(outcome.whyslow.rank == 1 && outcome.culpritStarred == true, "\(outcome.label)")
    }
    #expect(outcomes.filter { !$0.hasCause }.allSatisfy { !$0.significant })
  }

  /// One of the database's three pods is slow: the top suspect's breakdown by attribute value
  /// has the three pods, about a third of the traces each in both batches, the slow one starred
  /// with most of the growth, neither healthy pod starred; the database replicas, each serving
  /// a third of the slow pod's queries, grew alike, and no replica is starred against the other.
  @Test(arguments: [1, 2, 3] as [UInt64])
  func theSlowPodOfThreeIsNamed(_ seed: UInt64) throws {
    let analysis = try analyzeGenerated(GeneratorOptions(scenario: .slowPod, fastTraces: 300, slowTraces: 300, seed: seed))
    let top = try #require(analysis.suspects.first)
    #expect(top.key == SpanKey(service: "orders-db", operation: "SELECT orders"))
    let pods = analysis.attributeBreakdown.filter { $0.suspect == top.name && $0.attribute == "k8s.pod.name" }
    #expect(Set(pods.map(\.value)) == ["orders-db-5d8c9-a", "orders-db-5d8c9-b", "orders-db-5d8c9-c"], "\(pods.map(\.value))")
    #expect(pods.allSatisfy { abs($0.fastShare - 1.0 / 3) < 0.1 && abs($0.slowShare - 1.0 / 3) < 0.1 })
    #expect(pods.filter(\.isSignificant).map(\.value) == ["orders-db-5d8c9-b"])
    let slowPod = try #require(pods.first { $0.value == "orders-db-5d8c9-b" })
    #expect(pods.allSatisfy { $0.value == slowPod.value || $0.growthMillis < slowPod.growthMillis / 4 })
    // Every other attribute of the key (db.instance, db.system) stars nothing.
    #expect(analysis.attributeBreakdown.filter { $0.suspect == top.name && $0.attribute != "k8s.pod.name" }.allSatisfy { !$0.isSignificant })
  }
}
