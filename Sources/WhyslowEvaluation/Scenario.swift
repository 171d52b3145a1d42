import Foundation
import WhyslowFeatures

/// A cause injected into the slow batch (or none).
public enum Scenario: String, Sendable, CaseIterable, Codable {
  /// A sequential span gets slower.
  case slowSpan = "slow-span"
  /// The same, plus a bigger but harmless slowdown off the critical path (asynchronous work).
  case redHerring = "red-herring"
  /// A call is repeated many more times (N+1 queries).
  case nPlusOne = "n-plus-one"
  /// A call waits longer before it starts (queueing).
  case queueing
  /// A database query is slower only on `db.instance=replica-2`.
  case attribute
  /// The database runs on three pods and one of them is slow (`k8s.pod.name=orders-db-5d8c9-b`).
  case slowPod = "slow-pod"
  /// A leaf deep in a chain of calls gets slower; its ancestors grow with it.
  case cascade
  /// A call fails and is retried.
  case retry
  /// Two independent causes, each in half of the slow traces.
  case twoCauses = "two-causes"
  /// A real cause, plus one service whose clock runs ahead in the slow batch.
  case clockSkew = "clock-skew"
  /// The network to a callee gets slower: client spans grow, the callee's server spans do not.
  case network
  /// The slow batch has more of a heavy endpoint, and nothing else changed.
  case endpointMix = "endpoint-mix"
  /// More of a heavy endpoint, and a real cause too.
  case endpointMixCause = "endpoint-mix-cause"
  /// Nothing changed: a control.
  case control
  /// Every request enters at one catch-all gateway route (`/*`) with a handler span mirroring
  /// it; the slow batch has more of a heavy route, and nothing else changed.
  case gatewayMix = "gateway-mix"
  /// Behind the same catch-all gateway, with the same mix shift, the network to a callee gets
  /// slower: the handler's self-time grows with it, off the critical path.
  case gatewayNetwork = "gateway-network"

  /// Whether the scenario injects a cause the analysis should find.
  public var hasCause: Bool { self != .control && self != .endpointMix && self != .gatewayMix }

  /// Whether the topology's endpoints sit behind one catch-all gateway route.
  var isBehindGateway: Bool { self == .gatewayMix || self == .gatewayNetwork }
}

/// What the slow batch's traces get, per call template id.
struct Injection {
  var extraSelfMillis: [String: Double] = [:]
  var extraRepeats: [String: Int] = [:]
  var waitMillis: [String: Double] = [:]
  /// Calls whose first attempt fails after this long (a timeout), ms, and is retried.
  var retriedAfterMillis: [String: Double] = [:]
  /// Extra network time on a client call, ms (the callee's server span is unchanged).
  var networkMillis: [String: Double] = [:]
  /// Service → clock offset, ms.
  var clockSkewMillis: [String: Double] = [:]
  /// A call slower only when its attribute has a value.
  var conditional: (call: String, key: String, value: String, millis: Double)?
}

/// One acceptable answer: a span key (and the features that show it), or a callee service.
public struct Culprit: Codable, Sendable, Equatable {
  public var service: String
  /// Empty for a callee service (any `network_gap` finding naming it counts).
  public var operation: String
  /// Feature words that count (`self_time`, `count`, ...); empty means any.
  public var features: [String]

  public init(service: String, operation: String, features: [String]) {
    self.service = service
    self.operation = operation
    self.features = features
  }
}

/// The ground truth written beside a generated scenario.
public struct Truth: Codable, Sendable {
  public var scenario: Scenario
  public var topology: String
  /// For each cause, the culprits any of which names it; empty for no cause.
  public var causes: [[Culprit]]
  /// The injected size per cause, ms.
  public var injectedMillis: Double
  /// Mean slow latency minus mean fast latency as generated, ms.
  public var realisedGapMillis: Double
  public var seed: UInt64
  /// The contribution the analysis estimates for the culprit, known in closed form, ms: the
  /// change of the mean of its critical-path time, weighted as the analysis weights endpoints
  /// (each endpoint's share of both batches' traces as generated). Given for slow-span on the
  /// shop, whose slowed call (orders-db) always runs on the critical path: the injection
  /// raises the median of its lognormal own time by E, so its mean by E·exp(σ²/2), in every
  /// checkout trace. Nil for the other scenarios.
  public var expectedContributionMillis: Double?
}

/// How a scenario lands on a topology: the injections of the slow batch and the truth.
struct Plan {
  var injection = Injection()
  /// Injections for the second half of the slow traces (two causes), else nil.
  var secondHalf: Injection?
  var causes: [[Culprit]] = []
  /// Endpoint weights of the slow batch when they differ from the fast batch's.
  var slowWeights: [Double]?
  /// The system both batches run on, when the scenario changes it (pods of a service).
  var endpoints: [Endpoint]?
}

extension Scenario {
  /// The plan on `endpoints` with effect `millis`, or nil when the topology cannot host it.
  func plan(on topology: TopologyKind, _ endpoints: [Endpoint], millis: Double) -> Plan? {
    let calls = endpoints.flatMap(\.root.all)
    func call(_ id: String) -> Call? { calls.first { $0.id == id } }
    let normalizer = OperationNormalizer()
    func culprit(_ id: String, _ features: [String] = []) -> Culprit? {
      call(id).map {
        // As the analysis will see it: a concrete id in the route, then normalized.
        let operation = normalizer.normalize($0.operation.replacingOccurrences(of: "{id}", with: "1"))
        return Culprit(service: $0.service, operation: operation, features: features)
      }
    }
    /// Calls reached through sequential parents only: on the critical path.
    func sequentialChain() -> [Call] {
      var chain: [Call] = []
      var at = endpoints[0].root
      while let next = at.parallel ? nil : at.children.filter({ !$0.isAsync }).max(by: { $0.all.count < $1.all.count }) {
        chain.append(next)
        at = next
      }
      return chain
    }
    let targets: (slow: String, leaf: String, repeated: String, waited: String, retried: String, client: String)
    switch topology {
    case .shop: targets = ("db", "cache", "cache", "payment-call", "payment-call", "pricing-call")
    case .ml: targets = ("model", "model", "storage", "inference-call", "preprocess-call", "inference-call")
    case .random, .mesh:
      let chain = sequentialChain()
      guard let leaf = chain.last, let middle = chain.dropLast().last ?? chain.first,
        let client = chain.last(where: { $0.kind == .client })
      else { return nil }
      targets = (middle.id, leaf.id, leaf.id, leaf.id, client.id, client.id)
    }
    var plan = Plan()
    switch self {
    case .control:
      break
    case .slowSpan, .clockSkew, .endpointMixCause:
      plan.injection.extraSelfMillis[targets.slow] = millis
      plan.causes = [[culprit(targets.slow)].compactMap { $0 }]
      if self == .clockSkew {
        guard let skewed = calls.first(where: { $0.service != call(targets.slow)?.service && $0.id != endpoints[0].root.id && $0.kind == .server }) else { return nil }
        plan.injection.clockSkewMillis[skewed.service] = millis * 1.5
      }
      if self == .endpointMixCause {
        guard endpoints.count > 1 else { return nil }
        plan.slowWeights = [0.8] + [Double](repeating: 0.2 / Double(endpoints.count - 1), count: endpoints.count - 1)
      }
    case .endpointMix, .gatewayMix:
      guard endpoints.count > 1, endpoints[0].weight < 0.8 else { return nil }
      plan.slowWeights = [0.85] + [Double](repeating: 0.15 / Double(endpoints.count - 1), count: endpoints.count - 1)
    case .redHerring:
      guard topology == .shop else { return nil }
      plan.injection.extraSelfMillis[targets.slow] = millis
      plan.injection.extraSelfMillis["email"] = millis * 3
      plan.causes = [[culprit(targets.slow)].compactMap { $0 }]
    case .nPlusOne:
      guard let repeated = call(targets.repeated) else { return nil }
      plan.injection.extraRepeats[targets.repeated] = max(2, Int((millis / repeated.selfMillis).rounded()))
      plan.causes = [[culprit(targets.repeated)].compactMap { $0 }]
    case .queueing:
      plan.injection.waitMillis[targets.waited] = millis
      // The idle time shows in the caller's own time and as the call's wait.
      guard let waited = call(targets.waited) else { return nil }
      let caller = calls.first { $0.children.contains { $0.id == waited.id } }
      plan.causes = [[culprit(targets.waited, ["wait"]), caller.flatMap { culprit($0.id) }].compactMap { $0 }]
    case .slowPod:
      guard topology == .shop else { return nil }
      let pods = (key: "k8s.pod.name", values: ["orders-db-5d8c9-a", "orders-db-5d8c9-b", "orders-db-5d8c9-c"])
      plan.endpoints = endpoints.map { Endpoint(root: $0.root.adding(pods, toCall: "db"), weight: $0.weight) }
      plan.injection.conditional = ("db", pods.key, pods.values[1], millis * 3)
      plan.causes = [[culprit("db")].compactMap { $0 }]
    case .attribute:
      guard topology == .shop else { return nil }
      plan.injection.conditional = ("db", "db.instance", "replica-2", millis * 2)
      plan.causes = [[culprit("db")].compactMap { $0 }]
    case .cascade:
      plan.injection.extraSelfMillis[targets.leaf] = millis
      plan.causes = [[culprit(targets.leaf)].compactMap { $0 }]
    case .retry:
      plan.injection.retriedAfterMillis[targets.retried] = millis
      guard let client = call(targets.retried) else { return nil }
      plan.causes = [[culprit(targets.retried)] + client.children.map { culprit($0.id) }].map { $0.compactMap { $0 } }
    case .twoCauses:
      guard topology == .shop else { return nil }
      plan.injection.extraSelfMillis["db"] = millis
      plan.secondHalf = Injection(extraSelfMillis: ["pricing": millis])
      plan.causes = [[culprit("db")].compactMap { $0 }, [culprit("pricing")].compactMap { $0 }]
    case .network, .gatewayNetwork:
      guard let client = call(targets.client), let server = client.children.first else { return nil }
      if self == .gatewayNetwork {
        guard endpoints.count > 1, endpoints[0].weight < 0.8 else { return nil }
        plan.slowWeights = [0.85] + [Double](repeating: 0.15 / Double(endpoints.count - 1), count: endpoints.count - 1)
      }
      plan.injection.networkMillis[targets.client] = millis
      plan.causes = [[
        Culprit(service: server.service, operation: "", features: ["network_gap"]),
        culprit(targets.client),
      ].compactMap { $0 }]
    }
    return plan
  }
}
