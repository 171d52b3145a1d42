import Foundation
import WhyslowStatistics

/// What to generate.
public struct GeneratorOptions: Sendable {
  public var scenario: Scenario
  public var topology: TopologyKind
  public var fastTraces: Int
  public var slowTraces: Int
  public var seed: UInt64
  /// The injected effect per cause, ms.
  public var effectMillis: Double
  /// Log-scale spread of every span's own time (0.25 realistic, 0.5 heavy noise).
  public var noise: Double
  /// The share of spans (never a root) dropped at random from both batches, as sampling, failed
  /// exports and crashed services drop them: traces arrive incomplete.
  public var missingSpans: Double

  public init(
    scenario: Scenario, topology: TopologyKind = .shop, fastTraces: Int = 200,
    slowTraces: Int = 200, seed: UInt64 = 1, effectMillis: Double = 30, noise: Double = 0.25,
    missingSpans: Double = 0
  ) {
    self.missingSpans = missingSpans
    self.scenario = scenario
    self.topology = topology
    self.fastTraces = fastTraces
    self.slowTraces = slowTraces
    self.seed = seed
    self.effectMillis = effectMillis
    self.noise = noise
  }
}

/// A generated fast and slow batch with their ground truth.
public struct GeneratedScenario: Sendable {
  public var fast: [SyntheticSpan]
  public var slow: [SyntheticSpan]
  public var truth: Truth
}

/// Problems generating a scenario.
public enum GeneratorError: Error, CustomStringConvertible, Equatable {
  case unsupported(scenario: Scenario, topology: TopologyKind)

  public var description: String {
    switch self {
    case .unsupported(let scenario, let topology):
      return "scenario \(scenario.rawValue) cannot be injected into the \(topology.rawValue) topology"
    }
  }
}

/// Generates labelled batches: realistic topologies, lognormal latencies, attributes, several
/// entry points, and one injected cause per scenario. Deterministic for a seed.
public enum Generator {
  public static func generate(_ options: GeneratorOptions) throws -> GeneratedScenario {
    let topology = Topologies.endpoints(options.topology, seed: options.seed)
    let system = options.scenario.isBehindGateway ? Topologies.behindGateway(topology) : topology
    guard let plan = options.scenario.plan(on: options.topology, system, millis: options.effectMillis)
    else { throw GeneratorError.unsupported(scenario: options.scenario, topology: options.topology) }
    let endpoints = plan.endpoints ?? system
    var simulator = Simulator(random: SeededRandom(seed: options.seed), sigma: options.noise)
    let weights = endpoints.map(\.weight)
    var fastLatencies: [Double] = []
    let wholeFast = (0..<options.fastTraces).flatMap { index in
      simulator.trace(endpoints, weights, Injection(), number: index, batch: 0, latency: &fastLatencies)
    }
    var slowLatencies: [Double] = []
    let wholeSlow = (0..<options.slowTraces).flatMap { index in
      let injection =
        plan.secondHalf.map { index >= options.slowTraces / 2 ? $0 : plan.injection } ?? plan.injection
      return simulator.trace(
        endpoints, plan.slowWeights ?? weights, injection, number: index, batch: 1, latency: &slowLatencies)
    }
    // Spans lost after the fact, from a stream of their own: the traces are the same otherwise.
    var loss = SeededRandom(seed: options.seed ^ 0x5EED_0F_1055)
    let (fast, slow) = options.missingSpans > 0
      ? (wholeFast.filter { $0.parentID.isEmpty || loss.uniform() >= options.missingSpans },
         wholeSlow.filter { $0.parentID.isEmpty || loss.uniform() >= options.missingSpans })
      : (wholeFast, wholeSlow)
    let mean = { (values: [Double]) in values.reduce(0, +) / Double(max(values.count, 1)) }
    var expected: Double?
    if options.scenario == .slowSpan && options.topology == .shop {
      // Each endpoint's share of both batches times the calls of the slowed one it makes.
      let chosen = simulator.chosenEndpoints
      let perTrace = options.effectMillis * exp(options.noise * options.noise / 2)
      expected = endpoints.indices.reduce(0.0) { total, endpoint in
        let calls = endpoints[endpoint].root.all.filter { $0.id == "db" }.reduce(0) { $0 + $1.repeats }
        let share = Double(chosen.filter { $0 == endpoint }.count) / Double(max(chosen.count, 1))
        return total + share * Double(calls) * perTrace
      }
    }
    let truth = Truth(
      scenario: options.scenario, topology: options.topology.rawValue, causes: plan.causes,
      injectedMillis: options.scenario.hasCause ? options.effectMillis : 0,
      realisedGapMillis: mean(slowLatencies) - mean(fastLatencies), seed: options.seed,
      expectedContributionMillis: expected)
    return GeneratedScenario(fast: fast, slow: slow, truth: truth)
  }
}

/// Runs call templates into spans.
private struct Simulator {
  var random: SeededRandom
  let sigma: Double
  private var spans: [SyntheticSpan] = []
  private var injection = Injection()
  private var traceID = ""
  private var spanCounter = 0
  /// The endpoint each trace entered at, in the order generated.
  private(set) var chosenEndpoints: [Int] = []

  init(random: SeededRandom, sigma: Double) {
    self.random = random
    self.sigma = sigma
  }

  mutating func trace(
    _ endpoints: [Endpoint], _ weights: [Double], _ injection: Injection, number: Int, batch: Int,
    latency: inout [Double]
  ) -> [SyntheticSpan] {
    self.injection = injection
    spans = []
    traceID = String(format: "%016llx%016llx", UInt64(batch + 1), random.next() ^ UInt64(number))
    spanCounter = 0
    var pick = random.uniform() * weights.reduce(0, +)
    let chosen = weights.indices.first { pick -= weights[$0]; return pick < 0 } ?? (weights.count - 1)
    let endpoint = endpoints[chosen]
    chosenEndpoints.append(chosen)
    // Two traces a second; the slow batch some minutes after the fast one began, as a user takes
    // a baseline from just before a slowdown.
    let start = 1_700_000_000_000.0 + Double(batch * 1_000_000 + number * 500)
    let end = run(endpoint.root, start: start, parentID: "")
    latency.append(end - start)
    for (service, offset) in injection.clockSkewMillis {
      for index in spans.indices where spans[index].service == service {
        spans[index].startNanos += Int64(offset * 1_000_000)
      }
    }
    return spans
  }

  /// Runs one call starting at `start` (ms); returns its end.
  /// A failing attempt (`failedAfter` ms, a timeout) does no work of its own and calls nothing.
  private mutating func run(
    _ call: Call, start: Double, parentID: String, failedAfter: Double? = nil
  ) -> Double {
    let failed = failedAfter != nil
    let begin = start + (injection.waitMillis[call.id].map { random.lognormal(median: $0, sigma: 0.2) } ?? 0)
    spanCounter += 1
    let spanID = String(format: "%016llx", (random.next() & 0xFFFF_FFFF_0000_0000) | UInt64(spanCounter))
    let index = spans.count
    spans.append(
      SyntheticSpan(
        traceID: traceID, spanID: spanID, parentID: parentID, isAsync: call.isAsync,
        service: call.service, operation: concreteOperation(call.operation), kind: call.kind,
        startNanos: 0, durationNanos: 0, isError: failed, attributes: [:]))
    var median = call.selfMillis + (injection.extraSelfMillis[call.id] ?? 0)
    var attributes: [String: String] = [:]
    for attribute in call.attributes {
      let value = attribute.values[Int(random.next() % UInt64(attribute.values.count))]
      attributes[attribute.key] = value
      if let condition = injection.conditional, condition.call == call.id, condition.key == attribute.key,
        condition.value == value
      {
        median += condition.millis
      }
    }
    var own = random.lognormal(median: median, sigma: sigma)
    own += injection.networkMillis[call.id].map { random.lognormal(median: $0, sigma: 0.2) } ?? 0
    if let failedAfter { own = random.lognormal(median: failedAfter, sigma: 0.1) }
    var time = begin + own * 0.3
    let childrenStart = time
    if !failed {
      if call.parallel {
        var latest = time
        for child in call.children where !child.mirrorsParent {
          let end = run(child, start: time, parentID: spanID)
          if !child.isAsync { latest = max(latest, end) }
        }
        time = latest
      } else {
        for child in call.children where !child.mirrorsParent {
          let repeats = child.repeats + (injection.extraRepeats[child.id] ?? 0)
          for _ in 0..<repeats {
            if let timeout = injection.retriedAfterMillis[child.id], random.chance(0.9) {
              time = run(child, start: time + 0.05, parentID: spanID, failedAfter: timeout) + 2  // back off
            }
            let end = run(child, start: time + 0.05, parentID: spanID)
            if !child.isAsync { time = end }
          }
        }
      }
    }
    for child in call.children where child.mirrorsParent && !failed {
      // Starts with the children and ends just before the last of them, so that child stays
      // last on the critical path.
      mirror(child, from: childrenStart, to: max(childrenStart, time - 0.05), parentID: spanID)
    }
    let end = time + own * 0.7
    spans[index].startNanos = Int64((begin * 1_000_000).rounded())
    spans[index].durationNanos = Int64(((end - begin) * 1_000_000).rounded())
    spans[index].attributes = attributes
    return end
  }

  /// A span of no work of its own from `start` to `end`, ms.
  private mutating func mirror(_ call: Call, from start: Double, to end: Double, parentID: String) {
    spanCounter += 1
    spans.append(
      SyntheticSpan(
        traceID: traceID, spanID: String(format: "%016llx", (random.next() & 0xFFFF_FFFF_0000_0000) | UInt64(spanCounter)),
        parentID: parentID, isAsync: false, service: call.service, operation: call.operation, kind: call.kind,
        startNanos: Int64((start * 1_000_000).rounded()), durationNanos: Int64(((end - start) * 1_000_000).rounded()),
        isError: false, attributes: [:]))
  }

  /// Route templates get real ids: `GET /cart/{id}` becomes `GET /cart/4711`.
  private mutating func concreteOperation(_ template: String) -> String {
    template.contains("{id}")
      ? template.replacingOccurrences(of: "{id}", with: String(1000 + random.next() % 9000)) : template
  }
}
