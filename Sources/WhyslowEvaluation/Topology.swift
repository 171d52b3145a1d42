import WhyslowStatistics

/// A span template: what one call does, and the calls it makes.
public struct Call: Sendable {
  /// A stable name for targeting injections ("db", "email", ...).
  public var id: String
  public var service: String
  public var operation: String
  public var kind: SyntheticKind
  /// Median own work, milliseconds (split 30% before the children, 70% after).
  public var selfMillis: Double
  /// Children run one after another (sequential) or all at once (parallel).
  public var parallel: Bool
  public var children: [Call]
  /// The parent does not wait for this call (FOLLOWS_FROM, a queue consumer).
  public var isAsync: Bool
  /// A span of no work of its own that spans its parent's synchronous children, beside them
  /// (a gateway's request handler): off the critical path, yet its self-time is the request's.
  public var mirrorsParent = false
  /// How many times the call is made in a row.
  public var repeats: Int
  /// Attribute key → values drawn uniformly per span.
  public var attributes: [(key: String, values: [String])]

  public init(
    _ id: String, _ service: String, _ operation: String, kind: SyntheticKind = .server,
    selfMillis: Double, parallel: Bool = false, children: [Call] = [], isAsync: Bool = false,
    repeats: Int = 1, attributes: [(key: String, values: [String])] = []
  ) {
    self.id = id
    self.service = service
    self.operation = operation
    self.kind = kind
    self.selfMillis = selfMillis
    self.parallel = parallel
    self.children = children
    self.isAsync = isAsync
    self.repeats = repeats
    self.attributes = attributes
  }

  /// A call to another service: a client span in `from` (its own time is the network round
  /// trip) around the server span `server`. An asynchronous call is a short PRODUCER span whose
  /// CONSUMER child runs on without its parent waiting.
  public static func remote(
    _ id: String, from service: String, _ server: Call, networkMillis: Double = 0.6,
    isAsync: Bool = false
  ) -> Call {
    var callee = server
    if isAsync {
      callee.kind = .consumer
      callee.isAsync = true
    }
    return Call(
      id, service, "\(server.operation.split(separator: " ").first ?? "CALL") \(server.service)",
      kind: isAsync ? .producer : .client, selfMillis: networkMillis, children: [callee])
  }

  /// This subtree with `attribute` drawn on every call `id` too.
  func adding(_ attribute: (key: String, values: [String]), toCall id: String) -> Call {
    var copy = self
    if copy.id == id { copy.attributes.append(attribute) }
    copy.children = children.map { $0.adding(attribute, toCall: id) }
    return copy
  }

  /// Every call in this subtree, depth first.
  public var all: [Call] { [self] + children.flatMap(\.all) }

  /// Applies `change` to the call with id `target` in this subtree; false if there is none.
  @discardableResult
  public mutating func modify(_ target: String, _ change: (inout Call) -> Void) -> Bool {
    if id == target {
      change(&self)
      return true
    }
    for index in children.indices where children[index].modify(target, change) { return true }
    return false
  }
}

/// An entry point of a topology and how often requests take it.
public struct Endpoint: Sendable {
  public var root: Call
  public var weight: Double
}

/// The systems the generator can imitate.
public enum TopologyKind: String, Sendable, CaseIterable {
  /// A shop: checkout with sequential calls, a parallel fan-out, an asynchronous e-mail and a
  /// database; a light product page as a second entry point.
  case shop
  /// An ML inference pipeline: gateway → preprocess (storage write) → inference → model.
  case ml
  /// A random tree: depth ≤ 8, fan-out ≤ 6, 30–300 spans, 5–15 services; the top two levels
  /// call sequentially, so causes can be injected on the critical path.
  case random
  /// A random mesh of many endpoints: 8–16 routes of one frontend over 6–12 shared services,
  /// each a random tree of its own (the first, by far the most work, a heavy report) over the
  /// services' six shared operations, all calling one shared auth check; requests spread
  /// unevenly (weights ∝ 1/rank), so the rare endpoints have few traces in a batch.
  case mesh
}

/// Entry points of each topology.
enum Topologies {
  /// `endpoints` behind one catch-all gateway route, as TrainTicket's gateway records every
  /// request: root `gateway-service /*` with a handler span mirroring the request beside a
  /// client call to the endpoint's own root.
  static func behindGateway(_ endpoints: [Endpoint]) -> [Endpoint] {
    endpoints.map { endpoint in
      var handler = Call("edge-handler", "gateway-service", "FilteringWebHandler.handle", kind: .internal, selfMillis: 0)
      handler.mirrorsParent = true
      let root = Call(
        "edge", "gateway-service", "/*", selfMillis: 0.4,
        children: [handler, .remote("edge-call", from: "gateway-service", endpoint.root)])
      return Endpoint(root: root, weight: endpoint.weight)
    }
  }

  static func endpoints(_ kind: TopologyKind, seed: UInt64) -> [Endpoint] {
    switch kind {
    case .shop: return shop
    case .ml: return ml
    case .random: return [Endpoint(root: randomTree(seed: seed), weight: 1)]
    case .mesh: return mesh(seed: seed)
    }
  }

  static let database: [(key: String, values: [String])] = [
    ("db.system", ["postgresql"]), ("db.instance", ["replica-1", "replica-2"]),
  ]

  static var shop: [Endpoint] {
    let db = Call(
      "db", "orders-db", "SELECT orders", kind: .client, selfMillis: 12, attributes: database)
    let checkout = Call(
      "checkout", "frontend", "POST /checkout", selfMillis: 3,
      children: [
        .remote("cart-call", from: "frontend", Call(
          "cart", "cart", "GET /cart/{id}", selfMillis: 6,
          children: [Call("cache", "cart", "redis GET", kind: .client, selfMillis: 1.5,
                          attributes: [("cache.hit", ["true", "false"])])])),
        Call(
          "fanout", "frontend", "gather quote", kind: .internal, selfMillis: 0.5, parallel: true,
          children: [
            .remote("pricing-call", from: "frontend", Call("pricing", "pricing", "POST /quote", selfMillis: 40)),
            .remote("recommend-call", from: "frontend", Call("recommend", "recommendation", "GET /recommendations", selfMillis: 12)),
          ]),
        .remote("payment-call", from: "frontend", Call(
          "payment", "payment", "POST /charge", selfMillis: 8,
          children: [db, Call("fraud", "payment", "fraud check", kind: .internal, selfMillis: 4)])),
        .remote("email-call", from: "frontend", Call("email", "email", "send confirmation", selfMillis: 25), isAsync: true),
      ],
      attributes: [("http.method", ["POST"]), ("region", ["eu-west", "us-east"]), ("version", ["v41"])])
    let product = Call(
      "product", "frontend", "GET /products/{id}", selfMillis: 2,
      children: [
        .remote("catalog-call", from: "frontend", Call("catalog", "catalog", "GET /items/{id}", selfMillis: 9,
          children: [Call("catalog-db", "catalog-db", "SELECT items", kind: .client, selfMillis: 4)]))
      ],
      attributes: [("http.method", ["GET"]), ("region", ["eu-west", "us-east"])])
    return [Endpoint(root: checkout, weight: 0.5), Endpoint(root: product, weight: 0.5)]
  }

  static var ml: [Endpoint] {
    let root = Call(
      "gateway", "gateway", "inference-span", selfMillis: 2,
      children: [
        .remote("preprocess-call", from: "gateway", Call(
          "preprocess", "preprocess", "preprocess-request", selfMillis: 15,
          children: [Call("storage", "preprocess", "storage write", kind: .client, selfMillis: 8,
                          attributes: [("event", ["File saved"])])])),
        .remote("inference-call", from: "gateway", Call(
          "inference", "inference", "inference-service-post", selfMillis: 5,
          children: [Call("model", "model", "model predict", kind: .internal, selfMillis: 60,
                          attributes: [("event", ["Inference completed"]), ("model.version", ["3.2"])])])),
      ])
    let health = Call("health", "gateway", "GET /health", selfMillis: 1)
    return [Endpoint(root: root, weight: 0.9), Endpoint(root: health, weight: 0.1)]
  }

  /// A random service tree; edges between services become client/server pairs.
  static func randomTree(seed: UInt64) -> Call {
    var random = SeededRandom(seed: seed ^ 0xA5A5_5A5A)
    let serviceCount = 5 + Int(random.next() % 11)
    let services = (0..<serviceCount).map { "svc-\($0)" }
    let targetSpans = 30 + Int(random.next() % 271)
    return randomTree(&random, services: services, spans: targetSpans, root: services[0], prefix: "") { "op-\($0)" }
  }

  /// Many endpoints of one frontend over shared services (`TopologyKind.mesh`).
  static func mesh(seed: UInt64) -> [Endpoint] {
    var random = SeededRandom(seed: seed ^ 0x3E5B_0C0D)
    let services = (0..<(6 + Int(random.next() % 7))).map { "svc-\($0)" }
    let count = 8 + Int(random.next() % 9)
    let auth = Call("auth", "auth", "POST /auth/check", selfMillis: 2)
    let weights = (1...count).map { 1 / Double($0) }
    let total = weights.reduce(0, +)
    return (0..<count).map { index in
      // The first endpoint does by far the most work: a report over the whole mesh.
      let spans = index == 0 ? 150 + Int(random.next() % 101) : 10 + Int(random.next() % 41)
      // Each service has a handful of operations that every endpoint shares ("svc-3 op4"), so
      // one span key runs in many endpoints, doing different work in each ("op4", never read
      // as an id like "op-{n}").
      var tree = randomTree(&random, services: services, spans: spans, root: services[0], prefix: "e\(index)-") {
        "op\($0 % 6)"
      }
      tree.id = "e\(index)"
      tree.service = "frontend"
      tree.operation = index == 0 ? "GET /report" : "GET /api/e\(index)"
      tree.parallel = false
      tree.children.insert(.remote("e\(index)-auth-call", from: "frontend", auth), at: 0)
      tree.children = tree.children.map { child in
        // The root is the frontend's now: its calls leave the frontend, and its own service's
        // work below it is a call too.
        var call = child
        if call.kind == .client { call.service = "frontend" } else if call.service == services[0] {
          call = .remote("\(child.id)-call", from: "frontend", child)
        }
        return call
      }
      return Endpoint(root: tree, weight: weights[index] / total)
    }
  }

  /// A random tree of about `spans` spans over `services`, its call ids prefixed, the nth call
  /// named `operation(n)`.
  private static func randomTree(
    _ random: inout SeededRandom, services: [String], spans targetSpans: Int, root: String, prefix: String,
    operation: (Int) -> String
  ) -> Call {
    var made = 1
    var counter = 0
    func node(service: String, depth: Int) -> Call {
      counter += 1
      let id = "\(prefix)n\(counter)"
      var children: [Call] = []
      let fanOut = depth >= 7 || made >= targetSpans ? 0 : 1 + Int(random.next() % 6)
      for _ in 0..<fanOut where made < targetSpans {
        let callee = services[Int(random.next() % UInt64(services.count))]
        let child = node(service: callee, depth: depth + 1)
        if callee != service {
          made += 2
          children.append(.remote("\(child.id)-call", from: service, child))
        } else {
          made += 1
          children.append(child)
        }
      }
      return Call(
        id, service, operation(counter), selfMillis: 0.5 + random.uniform() * 8,
        parallel: depth >= 2 && random.chance(0.3), children: children)
    }
    return node(service: root, depth: 0)
  }
}
